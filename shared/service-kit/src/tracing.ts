import {
  type Context,
  context,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { MsgHdrs } from 'nats';

/**
 * OpenTelemetry tracing (docs/observability.md): on only when OTEL_EXPORTER_OTLP_ENDPOINT (or the
 * traces-only OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. Off, nothing is registered: the API stays on
 * its no-op tracer and every seam (http.ts, outbox.ts, consumer.ts, rpc.ts) skips its tracing work
 * after one check of `activeTracer()`, so the hot path allocates nothing for tracing.
 */

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered (tests, and before a process exits). */
  forceFlush(): Promise<void>;
  /** Flushes, then unregisters the provider, propagator and context manager. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, forceFlush: async () => undefined, shutdown: async () => undefined };

let started: Tracing | null = null;
/** The tracer of the registered provider, or null when none is; undefined until first asked. */
let cachedTracer: Tracer | null | undefined;
/** The API's own no-op provider: what a ProxyTracerProvider delegates to while nothing is registered. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

/** Where spans go: the traces endpoint as given, or the general endpoint with the OTLP/HTTP path. */
export function otlpTracesUrl(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.OTEL_SDK_DISABLED === 'true' || env.OTEL_TRACES_EXPORTER === 'none') return null;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return null;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts tracing for this process, once (a second call returns the first's handle: tests run several
 * services in one process, and their spans share the first one's resource). `service.name` is the
 * process name unless OTEL_SERVICE_NAME or OTEL_RESOURCE_ATTRIBUTES say otherwise.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Tracing {
  if (started) return started;
  const url = otlpTracesUrl(env);
  if (!url) return OFF;
  const contextManager = new AsyncLocalStorageContextManager().enable();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }))
    .merge(resourceFromAttributes(envDetector.detect().attributes ?? {}));
  const provider = new BasicTracerProvider({
    resource,
    sampler: samplerFrom(env),
    spanProcessors: [new BatchSpanProcessor(new LazyOtlpExporter(url))],
  });
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  cachedTracer = undefined;
  const handle: Tracing = {
    enabled: true,
    forceFlush: () => provider.forceFlush(),
    shutdown: async () => {
      if (started !== handle) return;
      started = null;
      cachedTracer = undefined;
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
  started = handle;
  return handle;
}

/**
 * The OTLP/HTTP exporter (≈ 1.1 MB of heap with its transport and serialisers), imported only when
 * tracing is on. startTracing stays synchronous: the import starts here and the batch processor's
 * first export, seconds later, waits for it.
 */
class LazyOtlpExporter implements SpanExporter {
  private readonly exporter: Promise<SpanExporter>;

  constructor(url: string) {
    this.exporter = import('@opentelemetry/exporter-trace-otlp-http').then(
      ({ OTLPTraceExporter }) => new OTLPTraceExporter({ url }),
    );
    // A failed import is reported by each export; this only keeps it from being an unhandled rejection.
    this.exporter.catch(() => undefined);
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.exporter.then(
      (exporter) => exporter.export(spans, done),
      (error: Error) => done({ code: ExportResultCode.FAILED, error }),
    );
  }

  async forceFlush(): Promise<void> {
    await (await this.exporter).forceFlush?.();
  }

  async shutdown(): Promise<void> {
    await (await this.exporter).shutdown();
  }
}

/** Parent-based always-on, or the ratio of OTEL_TRACES_SAMPLER=parentbased_traceidratio / traceidratio. */
function samplerFrom(env: NodeJS.ProcessEnv): Sampler {
  const ratio = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  const bounded = Number.isFinite(ratio) ? Math.min(Math.max(ratio, 0), 1) : 1;
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(bounded);
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(bounded) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * The tracer when a provider is registered (ours, or one a deployer's preloaded SDK set), else null.
 * Decided once and cached until tracing starts or stops, so the per-request check is a variable read.
 */
export function activeTracer(): Tracer | null {
  if (cachedTracer === undefined) {
    const provider = trace.getTracerProvider();
    const delegate = provider instanceof ProxyTracerProvider ? provider.getDelegate() : provider;
    cachedTracer = delegate === NOOP_PROVIDER ? null : trace.getTracer('@gatehouse/service-kit');
  }
  return cachedTracer;
}

/** A tracer named for the process a logger belongs to (its `service` binding), or null when tracing is off. */
export function tracerFor(logger: { bindings(): Record<string, unknown> }): Tracer | null {
  if (!activeTracer()) return null;
  const service = logger.bindings().service;
  return trace.getTracer(typeof service === 'string' ? service : '@gatehouse/service-kit');
}

/** The W3C trace context (traceparent, tracestate) of the active span, for a carrier that outlives it. */
export function currentTraceCarrier(): Record<string, string> | undefined {
  if (!activeTracer() || !trace.getActiveSpan()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/**
 * Writes the active span's traceparent (and tracestate) into outgoing HTTP headers, replacing any the
 * client sent; does nothing while tracing is off, so a client's own traceparent passes as before.
 */
export function injectTraceContext(headers: Record<string, string | string[] | undefined>): void {
  if (!activeTracer() || !trace.getActiveSpan()) return;
  delete headers.traceparent;
  delete headers.tracestate;
  propagation.inject(context.active(), headers);
}

/** The context a stored carrier names (the root context when it names none). */
export function contextFromCarrier(carrier: Record<string, string> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** Reads and writes trace headers on NATS message headers. */
export const natsHeaderGetter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (carrier) => (carrier ? carrier.keys() : []),
  get: (carrier, key) => carrier?.get(key) || undefined,
};

export const natsHeaderSetter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/**
 * Ends a span, with an error status naming the failure's type and code when the work failed. Not its
 * message or stack: driver messages carry SQL and secrets, and spans leave the process like log lines.
 */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    const failure = error as { name?: string; code?: unknown };
    const code = typeof failure.code === 'string' ? ` ${failure.code}` : '';
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${failure.name ?? 'Error'}${code}` });
  }
  span.end();
}

/** The active span's ids for a log line, or undefined when no span is active. */
export function activeTraceIds(): { trace_id: string; span_id: string } | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
