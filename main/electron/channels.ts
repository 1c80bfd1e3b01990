// The IPC channels between the window's preload and the main process: requests ({ method, params }
// as the web mode's), the event stream's start and stop, and the events themselves.

export const CHANNELS = {
  request: 'swarmlab:request',
  subscribe: 'swarmlab:subscribe',
  unsubscribe: 'swarmlab:unsubscribe',
  event: 'swarmlab:event',
} as const;
