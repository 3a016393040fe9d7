import { ConfigError, ErrorCodes, isTasksError } from '@tasks/core';
import { resolveTraceConfig, setupTracing, traceConfigDefaults } from '@tasks/otel';
import { describe, expect, it } from 'vitest';

function problemsOf(raw: unknown, options?: Parameters<typeof resolveTraceConfig>[1]) {
  try {
    resolveTraceConfig(raw, options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(isTasksError(error) && error.code).toBe(ErrorCodes.ConfigInvalid);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveTraceConfig', () => {
  it('fills in the defaults', () => {
    expect(resolveTraceConfig({ name: 'svc' })).toEqual({
      name: 'svc',
      sampler: 1,
      batcher: 'otlphttp',
      otlpHeaders: {},
      disabled: false,
    });
    expect(traceConfigDefaults).toEqual({ sampler: 1, batcher: 'otlphttp', disabled: false });
  });

  it("accepts go-zero's PascalCase keys from YAML", () => {
    expect(
      resolveTraceConfig({
        Name: 'task-server',
        Endpoint: 'collector:4318',
        Sampler: 0.25,
        Batcher: 'otlphttp',
        OtlpHeaders: { 'x-api-key': 'k' },
        OtlpHttpPath: '/custom/traces',
        Disabled: false,
      }),
    ).toEqual({
      name: 'task-server',
      endpoint: 'collector:4318',
      sampler: 0.25,
      batcher: 'otlphttp',
      otlpHeaders: { 'x-api-key': 'k' },
      otlpHttpPath: '/custom/traces',
      disabled: false,
    });
  });

  it('folds OtlpHttpSecure into an https endpoint', () => {
    expect(
      resolveTraceConfig({ Name: 's', Endpoint: 'collector:4318', OtlpHttpSecure: true }).endpoint,
    ).toBe('https://collector:4318');
  });

  it('takes the service name from the options when the config has none', () => {
    expect(resolveTraceConfig({ Batcher: 'console' }, { name: 'worker' }).name).toBe('worker');
  });

  it('names every bad field, with its value, under the given path', () => {
    const problems = problemsOf(
      {
        Name: '',
        Sampler: 1.5,
        Batcher: 'thrift',
        OtlpHeaders: { a: 1 },
        OtlpHttpPath: 'v1',
        Extra: 1,
      },
      { path: 'Telemetry' },
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'Telemetry.Batcher',
        'Telemetry.Extra',
        'Telemetry.Name',
        'Telemetry.OtlpHeaders.a',
        'Telemetry.OtlpHttpPath',
        'Telemetry.Sampler',
      ].sort(),
    );
    expect(byPath['Telemetry.Sampler']).toContain('from 0 to 1');
    expect(byPath['Telemetry.Sampler']).toContain('1.5');
    expect(byPath['Telemetry.Batcher']).toContain('"thrift"');
    expect(byPath['Telemetry.Batcher']).toContain(
      'otlphttp, otlpgrpc, zipkin, jaeger, file, console',
    );
    expect(byPath['Telemetry.OtlpHttpPath']).toContain('"v1"');
  });

  it('rejects a config that is not an object, and a missing name', () => {
    expect(problemsOf('jaeger')[0]).toEqual({
      path: 'telemetry',
      message: 'must be an object, got "jaeger"',
    });
    expect(problemsOf({ batcher: 'console' })[0]?.path).toBe('telemetry.name');
  });

  it('rejects sampler values that are not numbers', () => {
    expect(problemsOf({ name: 's', sampler: '0.5' })[0]?.message).toContain('"0.5"');
    expect(problemsOf({ name: 's', sampler: -0.1 })[0]?.message).toContain('-0.1');
  });

  it('requires an endpoint (the path) for batcher file', () => {
    const [problem] = problemsOf({ name: 's', batcher: 'file' });
    expect(problem?.path).toBe('telemetry.endpoint');
    expect(problem?.message).toContain('path of the file');
  });

  it('refuses the retired Jaeger Thrift collector and says what to use instead', () => {
    const [problem] = problemsOf({
      Name: 'task-server',
      Endpoint: 'http://jaeger:14268/api/traces',
      Sampler: 1.0,
      Batcher: 'jaeger',
    });
    expect(problem?.path).toBe('telemetry.Endpoint');
    expect(problem?.message).toContain('Jaeger Thrift collector');
    expect(problem?.message).toContain('http://jaeger:4318/v1/traces');
    expect(problem?.message).toContain('otlpgrpc');
  });

  it('refuses the Jaeger UDP agent and the gRPC port for batcher jaeger', () => {
    expect(
      problemsOf({ name: 's', batcher: 'jaeger', endpoint: 'udp://agent:6831' })[0]?.message,
    ).toContain('http://agent:4318/v1/traces');
    expect(
      problemsOf({ name: 's', batcher: 'jaeger', endpoint: 'jaeger:4317' })[0]?.message,
    ).toContain('OTLP/gRPC');
  });

  it('accepts Jaeger OTLP/HTTP endpoints', () => {
    expect(
      resolveTraceConfig({ name: 's', batcher: 'jaeger', endpoint: 'http://jaeger:4318/v1/traces' })
        .endpoint,
    ).toBe('http://jaeger:4318/v1/traces');
  });

  it('does not check the endpoint of a disabled config', () => {
    const config = resolveTraceConfig({
      Name: 's',
      Batcher: 'jaeger',
      Endpoint: 'http://jaeger:14268/api/traces',
      Disabled: true,
    });
    expect(config.disabled).toBe(true);
  });

  it('rejects non-http endpoints for otlphttp and zipkin', () => {
    expect(problemsOf({ name: 's', batcher: 'otlphttp', endpoint: 'ftp://x:21' })[0]?.path).toBe(
      'telemetry.endpoint',
    );
    expect(problemsOf({ name: 's', batcher: 'zipkin', endpoint: 'ftp://x:21' })[0]?.path).toBe(
      'telemetry.endpoint',
    );
  });

  it('makes setupTracing reject a bad config before building anything', async () => {
    await expect(
      setupTracing({ name: 'svc', batcher: 'jaeger', endpoint: 'http://jaeger:14268/api/traces' }),
    ).rejects.toBeInstanceOf(ConfigError);
  });
});
