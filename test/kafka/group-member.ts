import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON } from './helpers.js';

const SCRIPT = join(import.meta.dirname, 'clients', 'group_member.py');

export interface MemberEvent {
  member: string;
  event: 'assigned' | 'revoked' | 'record' | 'error' | 'closed';
  partitions?: number[];
  partition?: number;
  offset?: number;
  value?: string;
  error?: string;
}

/** A group member in a Python Kafka client (test/kafka/clients/group_member.py), in its own process. */
export class GroupMember {
  readonly events: MemberEvent[] = [];
  private readonly child: ChildProcess;
  private stderr = '';
  private readonly exited: Promise<number>;

  /** `instance`: a static member with that group.instance.id (confluent only). */
  constructor(client: 'confluent' | 'kafka-python', bootstrap: string, group: string, topic: string, readonly name: string, instance?: string) {
    const args = [SCRIPT, client, bootstrap, group, topic, name, ...(instance ? [`--instance=${instance}`] : [])];
    this.child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code ?? 1)));
  }

  /** The partitions of the latest assignment; undefined before the first. */
  assignment(): number[] | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i];
      if (e.event === 'assigned') return e.partitions;
      if (e.event === 'revoked') return [];
    }
    return undefined;
  }

  records(): MemberEvent[] {
    return this.events.filter((e) => e.event === 'record');
  }

  /** SIGTERM: the member closes its consumer (leaving the group) and exits. */
  async stop(): Promise<number> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** SIGKILL: the process dies without leaving the group. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  describe(): string {
    return `${this.name}: ${JSON.stringify(this.events.filter((e) => e.event !== 'record'))}\n${this.stderr}`;
  }
}

/** Polls `check` until it returns true; fails with `what` and `detail()` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, detail: () => string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
