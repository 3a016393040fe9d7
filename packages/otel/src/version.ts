/** The instrumentation scope spans of this package are reported under. */
export const INSTRUMENTATION_NAME = '@tasks/otel';
export const INSTRUMENTATION_VERSION = '0.1.0';
