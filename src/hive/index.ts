export * from './format.js';
export * from './hive.js';
export * from './build.js';
export * from './fixtures.js';
export * from './reg-export.js';
