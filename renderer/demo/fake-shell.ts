// A console for the demo's nodes: enough of a shell (echo, hostname, docker node ls, docker
// service ls) to show the terminal tab working, with a line editor that handles backspace and ^C.

import type { FakeCluster } from './fake-cluster.ts';

const CSI = '\x1b[';

export class FakeShell {
  private line = '';

  constructor(
    private readonly cluster: FakeCluster,
    private readonly machine: string,
    private readonly out: (data: string) => void,
  ) {
    out(`Welcome to ${machine} (swarmlab demo node)\r\nThis is a pretend shell: try docker node ls, docker service ls, hostname.\r\n\r\n`);
    this.prompt();
  }

  input(data: string): void {
    for (const ch of data) {
      if (ch === '\r' || ch === '\n') {
        this.out('\r\n');
        this.run(this.line.trim());
        this.line = '';
        this.prompt();
      } else if (ch === '\x7f' || ch === '\b') {
        if (this.line.length > 0) {
          this.line = this.line.slice(0, -1);
          this.out('\b \b');
        }
      } else if (ch === '\x03') {
        this.line = '';
        this.out('^C\r\n');
        this.prompt();
      } else if (ch >= ' ') {
        this.line += ch;
        this.out(ch);
      }
    }
  }

  private prompt(): void {
    this.out(`${CSI}1;32mroot@${this.machine}${CSI}0m:${CSI}1;34m~${CSI}0m# `);
  }

  private run(cmd: string): void {
    if (cmd === '') return;
    const [prog, ...args] = cmd.split(/\s+/);
    if (prog === 'echo') return this.print(args.join(' '));
    if (prog === 'hostname') return this.print(this.machine);
    if (prog === 'docker' && args[0] === 'node' && args[1] === 'ls') return this.print(this.nodeLs());
    if (prog === 'docker' && args[0] === 'service' && args[1] === 'ls') return this.print(this.serviceLs());
    if (prog === 'seq') {
      // Floods the terminal on purpose: flow control keeps the UI responsive.
      const n = Math.min(Number(args[0]) || 10, 1_000_000);
      let chunk = '';
      for (let i = 1; i <= n; i++) {
        chunk += `${i}\r\n`;
        if (chunk.length > 16_384) { this.out(chunk); chunk = ''; }
      }
      return this.out(chunk);
    }
    this.print(`${prog}: command not found (demo shell)`);
  }

  private print(text: string): void {
    this.out(text.replace(/\n/g, '\r\n') + '\r\n');
  }

  private nodeLs(): string {
    const rows = [...this.cluster.nodes.values()].sort((a, b) => a.hostname.localeCompare(b.hostname)).map((n) => [
      n.id + (n.machine === this.machine ? ' *' : ''), n.hostname, cap(n.state), cap(n.availability),
      n.role === 'manager' ? (n.leader ? 'Leader' : n.reachability === 'reachable' ? 'Reachable' : 'Unreachable') : '',
    ]);
    return table(['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS'], rows);
  }

  private serviceLs(): string {
    const rows = [...this.cluster.services.values()].map((s) => [
      s.id.slice(0, 12), s.name, s.mode, `${s.running}/${s.desired}`, s.image,
      s.ports.map((p) => `*:${p.publishedPort}->${p.targetPort}/${p.protocol}`).join(', '),
    ]);
    return table(['ID', 'NAME', 'MODE', 'REPLICAS', 'IMAGE', 'PORTS'], rows);
  }
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function table(head: string[], rows: string[][]): string {
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(width[i]! + 3)).join('').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}
