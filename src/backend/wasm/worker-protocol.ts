/** Messages between the wasm backend (main thread) and its fs worker. */
import type { BridgeBuffers } from './block-bridge.js';

export interface WorkerInit {
  bridge: BridgeBuffers;
  /** The main thread's performance.timeOrigin, for the timing trace. */
  timeOrigin: number;
}

export interface WorkerRequest {
  id: number;
  op: string;
  args: unknown[];
}

export interface WorkerErrorPayload {
  errno: string;
  message: string;
}

export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: WorkerErrorPayload };

/** Arguments of the worker's 'mount' op. */
export interface MountRequest {
  deviceId: number;
  device: string;
  size: number;
  fsType: string;
  deviceReadOnly: boolean;
  mountReadOnly: boolean;
  mountpoint: string;
}
