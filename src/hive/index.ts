export * from './format.js';
export * from './hive.js';
export * from './reg-export.js';
