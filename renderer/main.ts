// The renderer's entry: pick the LabApi, start the event stream, mount the app.

import { mount } from 'svelte';
import App from './app/App.svelte';
import { chooseApi } from './app/choose-api.ts';
import './app/theme.css';
import '@xterm/xterm/css/xterm.css';

const params = new URLSearchParams(location.search);
const target = document.getElementById('app')!;

chooseApi(params).then(
  (chosen) => mount(App, { target, props: { api: chosen.api, demo: chosen.demo, ...(chosen.onStatus ? { onStatus: chosen.onStatus } : {}) } }),
  (err: unknown) => {
    target.textContent = `swarmlab could not reach its lab controller: ${(err as Error).message}`;
  },
);
