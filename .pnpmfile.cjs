// The workspace installs @tasks/otel's optional exporter peers only where a
// package lists them as devDependencies (OTLP/HTTP and Zipkin). pnpm's
// autoInstallPeers would otherwise add the gRPC exporter and its ~20
// packages, which no test needs and whose absence the otel tests check
// (a user who never picks `otlpgrpc` never installs it either).
// Published manifests are untouched: this runs only for installs in this repository.
module.exports = {
  hooks: {
    readPackage(manifest) {
      if (manifest.name === '@tasks/otel' && manifest.peerDependencies) {
        delete manifest.peerDependencies['@opentelemetry/exporter-trace-otlp-grpc'];
      }
      return manifest;
    },
  },
};
