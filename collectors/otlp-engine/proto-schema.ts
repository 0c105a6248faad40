/**
 * The OTLP `.proto` definitions as one schema string for ClickHouse's Protobuf input
 * (`format_schema_source = 'string'`), read at run time from the official
 * opentelemetry-proto files that `@opentelemetry/otlp-grpc-exporter-base@0.38.0` ships
 * under `build/protos/` (installed as `otlp-protos`; it is the newest npm package that
 * ships the `.proto` files — later OTel JS releases generate code instead).
 *
 * A schema given as a string is one file, so imports cannot be resolved: the files are
 * inlined in dependency order into one file of one package. This is sound because the
 * OTLP message names do not collide across the packages inlined here, and package-qualified
 * references (`opentelemetry.proto.common.v1.KeyValue`) are rewritten to the bare names.
 * Comments are stripped: the schema travels inside the query text, which ClickHouse
 * limits (`max_query_size`, 256 KiB by default).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The package (and the alias it is installed under) that ships the `.proto` files. */
export const PROTO_PACKAGE = 'otlp-protos';

/** Files of an OTLP/protobuf trace export, each after the files it imports. */
const TRACE_FILES = [
  'opentelemetry/proto/common/v1/common.proto',
  'opentelemetry/proto/resource/v1/resource.proto',
  'opentelemetry/proto/trace/v1/trace.proto',
  'opentelemetry/proto/collector/trace/v1/trace_service.proto',
] as const;

/** The package name of the inlined schema: messages are `otlp.<Name>`. */
const SCHEMA_PACKAGE = 'otlp';

export interface ProtoSchema {
  /** the `.proto` text (one file) */
  text: string;
  /** the message a payload holds, as `format_schema_message_name` wants it (unqualified) */
  messageName: string;
}

let traceSchema: ProtoSchema | undefined;

/** The schema of an `ExportTraceServiceRequest` (the `/v1/traces` body). Read once. */
export function traceRequestSchema(): ProtoSchema {
  traceSchema ??= {
    text: inlineProtoFiles(TRACE_FILES.map((f) => ({ name: f, text: readFileSync(join(protoRoot(), f), 'utf8') }))),
    messageName: 'ExportTraceServiceRequest',
  };
  return traceSchema;
}

/** Directory holding `opentelemetry/proto/...` inside the installed package. */
export function protoRoot(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve(`${PROTO_PACKAGE}/package.json`)), 'build', 'protos');
}

/**
 * Inlines proto3 files (given in dependency order) into one file of package
 * {@link SCHEMA_PACKAGE}: drops `syntax`, `package`, `import` and file `option`
 * statements and comments, and rewrites `opentelemetry.proto.<pkg>.v1.X` to `X`.
 */
export function inlineProtoFiles(files: readonly { name: string; text: string }[]): string {
  const parts = [`syntax = "proto3";`, `package ${SCHEMA_PACKAGE};`];
  for (const file of files) {
    const body = stripComments(file.text)
      .replace(/^\s*(syntax|package|import|option)\b[^;]*;[ \t]*$/gm, '')
      .replace(/\bopentelemetry\.proto\.[a-z_.]+?\.v1\.(?=[A-Z])/g, '')
      .replace(/\n\s*\n+/g, '\n')
      .trim();
    if (/\bopentelemetry\.proto\./.test(body)) throw new Error(`${file.name}: a package-qualified reference was left after inlining`);
    parts.push(`// ${file.name}`, body);
  }
  return parts.join('\n') + '\n';
}

/** Removes `//` and `/* … *\/` comments outside string literals. */
function stripComments(text: string): string {
  return text.replace(/"(?:[^"\\\n]|\\.)*"|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m) => (m.startsWith('"') ? m : ''));
}
