import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as OpenTelemetry's messaging conventions carry it in AMQP
 * headers: `traceparent` (`00-<trace id>-<parent id>-<flags>`) and `tracestate`, passed through as it came. Only the
 * headers: no span is recorded or exported anywhere.
 */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** The span this context names (the parent of whatever continues it): 16 lowercase hex digits, not all zero. */
  spanId: string;
  /** 2 lowercase hex digits; `01` is sampled. */
  flags: string;
  /** The `tracestate` header, unchanged; absent when there was none. */
  tracestate?: string;
}

/** A message's trace as a worker continues it: its own span, and the context it came with (if a valid one). */
export interface MessageTrace {
  /** The worker's span for this message: a child of `parent`, or the root of a new trace. */
  span: TraceContext;
  /** The message's own context, absent when it had none (or an invalid one). */
  parent?: TraceContext;
  /** Why the message's traceparent was refused (it was then treated as absent). */
  invalid?: string;
}

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

/**
 * The longest tracestate carried on: the specification asks for at least 512 characters and lets a longer one be cut,
 * so one longer (or with characters outside printable ASCII) is dropped rather than copied into every header and
 * container environment.
 */
const MAX_TRACESTATE_CHARS = 512;

/** Version 00, exactly: lowercase hex only, no trailing fields. */
const VERSION_00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The fields of a version-00 traceparent, or why it is not one. */
export function parseTraceparent(value: unknown): Omit<TraceContext, 'tracestate'> | { invalid: string } {
  const text = headerText(value);
  if (text === undefined) return { invalid: 'it is not a string' };
  const match = VERSION_00.exec(text);
  if (!match) return { invalid: 'it is not 00-<32 hex>-<16 hex>-<2 hex> in lowercase' };
  const [traceId, spanId, flags] = [match[1]!, match[2]!, match[3]!];
  if (/^0+$/.test(traceId)) return { invalid: 'its trace id is all zeros' };
  if (/^0+$/.test(spanId)) return { invalid: 'its parent id is all zeros' };
  return { traceId, spanId, flags };
}

/** `00-<trace id>-<span id>-<flags>`. */
export function formatTraceparent({ traceId, spanId, flags }: TraceContext): string {
  return `00-${traceId}-${spanId}-${flags}`;
}

/** A new trace, sampled, whose root is a span of this process. */
export function startTrace(): TraceContext {
  return { traceId: randomHex(16), spanId: randomHex(8), flags: '01' };
}

/** A span of this process under `parent`: the same trace, flags and tracestate, a span id of its own. */
export function childOf(parent: TraceContext): TraceContext {
  return { ...parent, spanId: randomHex(8) };
}

/**
 * The trace a message is worked on in, from its headers: a child of its traceparent when that is valid, else (none, or
 * an invalid one, whose tracestate is then dropped as the specification says) a new trace.
 */
export function traceOf(headers: Record<string, unknown> | undefined): MessageTrace {
  const raw = headers?.[TRACEPARENT];
  if (raw === undefined) return { span: startTrace() };
  const parsed = parseTraceparent(raw);
  if ('invalid' in parsed) return { span: startTrace(), invalid: parsed.invalid };
  const tracestate = tracestateOf(headers?.[TRACESTATE]);
  const parent: TraceContext = tracestate === undefined ? parsed : { ...parsed, tracestate };
  return { span: childOf(parent), parent };
}

/** The headers that carry `context` on: traceparent, and tracestate when there is one. */
export function traceHeaders(context: TraceContext): Record<string, string> {
  const headers: Record<string, string> = { [TRACEPARENT]: formatTraceparent(context) };
  if (context.tracestate !== undefined) headers[TRACESTATE] = context.tracestate;
  return headers;
}

/** `headers` with their trace headers those of `context` (a tracestate it has not, removed). */
export function withTraceHeaders(
  headers: Record<string, unknown> | undefined,
  context: TraceContext,
): Record<string, unknown> {
  const { [TRACEPARENT]: _parent, [TRACESTATE]: _state, ...others } = headers ?? {};
  return { ...others, ...traceHeaders(context) };
}

/** TRACEPARENT and TRACESTATE for a process's environment, as OpenTelemetry SDKs read them. */
export function traceEnv(context: TraceContext): string[] {
  return Object.entries(traceHeaders(context)).map(([key, value]) => `${key.toUpperCase()}=${value}`);
}

/** The fields a log line about the message carries, as OpenTelemetry names them in logs. */
export function logBindings({ traceId, spanId, flags }: TraceContext): Record<string, string> {
  return { trace_id: traceId, span_id: spanId, trace_flags: flags };
}

/** An AMQP header as text: a longstr arrives as a string, a byte array as a Buffer. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** The tracestate header to carry on: undefined when absent, empty, too long or not printable ASCII. */
function tracestateOf(value: unknown): string | undefined {
  const text = headerText(value);
  if (text === undefined || text.length > MAX_TRACESTATE_CHARS) return undefined;
  return /^[\x20-\x7e]+$/.test(text) ? text : undefined;
}

/** Random bytes as lowercase hex, never all zero (which the specification reserves as invalid). */
function randomHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!/^0+$/.test(hex)) return hex;
  }
}
