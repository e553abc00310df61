/**
 * Runs on: a developer's machine (a build script, not part of the gateway).
 *
 * Generates src/kafka/messages/*.ts, the codecs of the Kafka messages Tributary serves, from
 * Kafka's own message specs (clients/src/main/resources/common/message/*.json in apache/kafka).
 *
 *   npm run generate:kafka -- /path/to/apache-kafka      (a checkout, or its bare git directory)
 *
 * Each message gets an interface per struct, a read function (every field filled: absent ones
 * get the spec's default) and a write function (taking Fields<T>: fields left out are written as
 * their default). Tagged fields are skipped when read and never written: Tributary uses none of
 * them, and Kafka lets a receiver ignore them. The output is checked in; run this again only to
 * add a message or take a newer spec.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The messages generated: the headers, the consumer protocol's subscription and assignment (the
 * opaque bytes of JoinGroup and SyncGroup, read to show a group's topics and partitions), and
 * each API Tributary serves (request and response).
 */
const MESSAGES = [
  'RequestHeader',
  'ResponseHeader',
  'ConsumerProtocolSubscription',
  'ConsumerProtocolAssignment',
  ...[
    'ApiVersions',
    'Metadata',
    'Produce',
    'Fetch',
    'ListOffsets',
    'FindCoordinator',
    'JoinGroup',
    'SyncGroup',
    'Heartbeat',
    'LeaveGroup',
    'OffsetCommit',
    'OffsetFetch',
    'DescribeGroups',
    'ListGroups',
    'InitProducerId',
    'SaslHandshake',
    'SaslAuthenticate',
    'CreateTopics',
    'DescribeConfigs',
    'DeleteGroups',
    'DeleteTopics',
  ].flatMap((api) => [`${api}Request`, `${api}Response`]),
];

const SPEC_DIR = 'clients/src/main/resources/common/message';
const OUT_DIR = 'src/kafka/messages';

interface FieldSpec {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  default?: string;
  fields?: FieldSpec[];
}

interface MessageSpec {
  name: string;
  type: 'request' | 'response' | 'header' | 'data';
  apiKey?: number;
  validVersions: string;
  flexibleVersions: string;
  fields: FieldSpec[];
  commonStructs?: { name: string; fields: FieldSpec[] }[];
}

type Range = { lo: number; hi: number } | null;

function parseRange(text: string | undefined): Range {
  if (text === undefined || text === 'none') return null;
  if (text.endsWith('+')) return { lo: Number(text.slice(0, -1)), hi: Number.POSITIVE_INFINITY };
  const [lo, hi] = text.split('-').map(Number);
  return { lo, hi: hi ?? lo };
}

/** A JS condition on `version` for the range, given the message's valid versions. */
function condition(range: Range, valid: { lo: number; hi: number }): string {
  if (range === null) return 'false';
  const lo = Math.max(range.lo, valid.lo);
  const hi = Math.min(range.hi, valid.hi);
  if (lo > hi) return 'false';
  const parts: string[] = [];
  if (lo > valid.lo) parts.push(`version >= ${lo}`);
  if (hi < valid.hi) parts.push(`version <= ${hi}`);
  return parts.length === 0 ? 'true' : parts.join(' && ');
}

function covers(outer: Range, inner: Range, valid: { lo: number; hi: number }): boolean {
  if (inner === null) return true;
  if (outer === null) return false;
  return outer.lo <= Math.max(inner.lo, valid.lo) && outer.hi >= Math.min(inner.hi, valid.hi);
}

const camel = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);
const kebab = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

const PRIMITIVES: Record<string, { ts: string; read: string; write: string; zero: string }> = {
  int8: { ts: 'number', read: 'r.int8()', write: 'w.int8', zero: '0' },
  int16: { ts: 'number', read: 'r.int16()', write: 'w.int16', zero: '0' },
  uint16: { ts: 'number', read: 'r.uint16()', write: 'w.uint16', zero: '0' },
  int32: { ts: 'number', read: 'r.int32()', write: 'w.int32', zero: '0' },
  uint32: { ts: 'number', read: 'r.uint32()', write: 'w.uint32', zero: '0' },
  int64: { ts: 'number', read: 'r.int64()', write: 'w.int64', zero: '0' },
  float64: { ts: 'number', read: 'r.float64()', write: 'w.float64', zero: '0' },
  bool: { ts: 'boolean', read: 'r.bool()', write: 'w.bool', zero: 'false' },
  uuid: { ts: 'Buffer', read: 'r.uuid()', write: 'w.uuid', zero: 'ZERO_UUID' },
};

class Generator {
  private readonly interfaces: string[] = [];
  private readonly functions: string[] = [];
  private readonly valid: { lo: number; hi: number };
  private readonly flexible: Range;
  private usesZeroUuid = false;

  constructor(private readonly spec: MessageSpec) {
    const valid = parseRange(spec.validVersions);
    if (!valid) throw new Error(`${spec.name}: no valid versions`);
    this.valid = valid;
    this.flexible = parseRange(spec.flexibleVersions);
  }

  private structName(type: string): string {
    return type.startsWith(this.spec.name) ? type : `${this.spec.name}${type}`;
  }

  private commonStruct(type: string): FieldSpec[] | undefined {
    return this.spec.commonStructs?.find((s) => s.name === type)?.fields;
  }

  /** Emits the interface and codec of one struct; returns its TS name. */
  struct(name: string, fields: FieldSpec[]): string {
    const live = fields.filter((f) => f.taggedVersions === undefined && condition(parseRange(f.versions), this.valid) !== 'false');
    const props: string[] = [];
    const reads: string[] = [];
    const writes: string[] = [];
    for (const f of live) {
      const present = condition(parseRange(f.versions), this.valid);
      const nullableRange = parseRange(f.nullableVersions);
      const alwaysNullable = nullableRange !== null && covers(nullableRange, parseRange(f.versions), this.valid);
      const nullableCond = condition(nullableRange, this.valid);
      const compact = f.flexibleVersions !== undefined ? condition(parseRange(f.flexibleVersions), this.valid) : 'flexible';
      const prop = camel(f.name);
      const codec = this.codec(f, compact, nullableRange !== null, alwaysNullable, nullableCond);
      props.push(`  ${prop}: ${codec.ts};`);
      const fallback = this.defaultOf(f, codec.zero);
      reads.push(present === 'true' ? `    ${prop}: ${codec.read},` : `    ${prop}: ${present} ? ${codec.read} : ${fallback},`);
      // A null given for a nullable field is written as null, not replaced by the default.
      const value = nullableRange !== null ? `(m.${prop} === undefined ? ${fallback} : m.${prop})` : `m.${prop} ?? ${fallback}`;
      const write = codec.write(value);
      writes.push(present === 'true' ? `  ${write};` : `  if (${present}) ${write};`);
    }
    const flexibleCond = condition(this.flexible, this.valid);
    const lines = (xs: string[]) => (xs.length > 0 ? `${xs.join('\n')}\n` : '');
    this.interfaces.push(`export interface ${name} {\n${lines(props)}}\n`);
    const usesFlexible = [...reads, ...writes].some((l) => /\bflexible\b/.test(l)) || flexibleCond !== 'false';
    const flexDecl = usesFlexible ? `  const flexible = ${flexibleCond};\n` : '';
    const tagRead = flexibleCond === 'false' ? '' : '  if (flexible) r.skipTaggedFields();\n';
    const tagWrite = flexibleCond === 'false' ? '' : '  if (flexible) w.emptyTaggedFields();\n';
    const versionUsed = (body: string) => /\bversion\b/.test(body + flexDecl);
    const readBody = `  const out: ${name} = {\n${lines(reads)}  };\n`;
    const writeBody = lines(writes);
    this.functions.push(
      `export function read${name}(r: KafkaReader, ${versionUsed(readBody) ? '' : '_'}version: number): ${name} {\n${flexDecl}${readBody}${tagRead}  return out;\n}\n`,
      `export function write${name}(w: KafkaWriter, ${versionUsed(writeBody) ? '' : '_'}version: number, m: Fields<${name}>): void {\n${flexDecl}${writeBody}${tagWrite}}\n`,
    );
    return name;
  }

  private codec(f: FieldSpec, compact: string, nullable: boolean, alwaysNullable: boolean, nullableCond: string) {
    const pick = (nullableForm: string, plainForm: string) =>
      !nullable ? plainForm : alwaysNullable ? nullableForm : `(${nullableCond} ? ${nullableForm} : ${plainForm})`;
    const primitive = PRIMITIVES[f.type];
    if (primitive) {
      if (f.type === 'uuid') this.usesZeroUuid = true;
      return { ts: primitive.ts, read: primitive.read, write: (v: string) => `${primitive.write}(${v})`, zero: primitive.zero };
    }
    if (f.type === 'string') {
      return {
        ts: nullable ? 'string | null' : 'string',
        read: pick(`r.nullableString(${compact})`, `r.string(${compact})`),
        write: (v: string) => pick(`w.nullableString(${v}, ${compact})`, `w.string(${v}, ${compact})`),
        zero: "''",
      };
    }
    if (f.type === 'bytes' || f.type === 'records') {
      return {
        ts: nullable ? 'Buffer | null' : 'Buffer',
        read: pick(`r.nullableBytes(${compact})`, `r.bytes(${compact})`),
        write: (v: string) => pick(`w.nullableBytes(${v}, ${compact})`, `w.bytes(${v}, ${compact})`),
        zero: nullable ? 'null' : 'Buffer.alloc(0)',
      };
    }
    if (f.type.startsWith('[]')) {
      const element = f.type.slice(2);
      const p = PRIMITIVES[element];
      let item: { ts: string; read: string; write: (v: string) => string };
      if (p) item = { ts: p.ts, read: p.read, write: (v) => `${p.write}(${v})` };
      else if (element === 'string') item = { ts: 'string', read: `r.string(${compact})`, write: (v) => `w.string(${v}, ${compact})` };
      else {
        const fields = f.fields ?? this.commonStruct(element);
        if (!fields) throw new Error(`${this.spec.name}.${f.name}: unknown struct ${element}`);
        const s = this.struct(this.structName(element), fields);
        item = { ts: s, read: `read${s}(r, version)`, write: (v) => `write${s}(w, version, ${v})` };
      }
      return {
        ts: nullable ? `${item.ts}[] | null` : `${item.ts}[]`,
        read: pick(`r.nullableArray(${compact}, () => ${item.read})`, `r.array(${compact}, () => ${item.read})`),
        write: (v: string) => pick(`w.nullableArray(${v}, ${compact}, (x) => ${item.write('x')})`, `w.array(${v}, ${compact}, (x) => ${item.write('x')})`),
        zero: '[]',
      };
    }
    throw new Error(`${this.spec.name}.${f.name}: type ${f.type} is not supported untagged`);
  }

  private defaultOf(f: FieldSpec, zero: string): string {
    const d = f.default;
    if (d === undefined) return zero;
    if (d === 'null') return 'null';
    if (f.type === 'string') return JSON.stringify(d);
    if (d === 'true' || d === 'false') return d;
    const n = Number(d);
    if (Number.isNaN(n)) throw new Error(`${this.spec.name}.${f.name}: default ${d} is not understood`);
    return String(n);
  }

  render(source: string): string {
    const top = this.struct(this.spec.name, this.spec.fields);
    const { lo, hi } = this.valid;
    const meta = `export const ${camel(top)}Spec = { apiKey: ${this.spec.apiKey ?? -1}, validVersions: { min: ${lo}, max: ${hi} }, flexibleFrom: ${this.flexible ? this.flexible.lo : -1} } as const;\n`;
    const imports = [
      "import type { Fields } from '../protocol/fields.js';",
      "import type { KafkaReader } from '../protocol/reader.js';",
      "import type { KafkaWriter } from '../protocol/writer.js';",
    ].join('\n');
    const zeroUuid = this.usesZeroUuid ? '\nconst ZERO_UUID = Buffer.alloc(16);\n' : '';
    return [
      `/**\n * Runs on: main thread.\n *\n * GENERATED by scripts/generate-kafka-messages.ts from ${source}; do not edit.\n */`,
      imports,
      zeroUuid,
      meta,
      ...this.interfaces.reverse(),
      ...this.functions,
    ].join('\n');
  }
}

function specReader(root: string): { read(file: string): string; commit: string } {
  const checkout = existsSync(join(root, SPEC_DIR));
  const git = (args: string[]) => execFileSync('git', checkout ? ['-C', root, ...args] : [`--git-dir=${root}`, ...args], { encoding: 'utf8' });
  const commit = git(['rev-parse', 'HEAD']).trim();
  return {
    commit,
    read: (file) => (checkout ? readFileSync(join(root, SPEC_DIR, file), 'utf8') : git(['show', `HEAD:${SPEC_DIR}/${file}`])),
  };
}

function main(): void {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: npm run generate:kafka -- <apache/kafka checkout or git directory>');
    process.exit(2);
  }
  const specs = specReader(root);
  for (const name of MESSAGES) {
    const text = specs.read(`${name}.json`).replace(/^\s*\/\/.*$/gm, '');
    const spec = JSON.parse(text) as MessageSpec;
    const source = `apache/kafka@${specs.commit.slice(0, 12)} ${SPEC_DIR}/${name}.json`;
    writeFileSync(join(OUT_DIR, `${kebab(name)}.ts`), new Generator(spec).render(source));
  }
  console.log(`generated ${MESSAGES.length} messages from apache/kafka@${specs.commit.slice(0, 12)} into ${OUT_DIR}`);
}

main();
