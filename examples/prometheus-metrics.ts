/**
 * A consumer that serves its metrics to Prometheus on http://localhost:9464/metrics and logs
 * lifecycle events, next to the basic consumer's processing.
 *
 *   KINESUMER_APP=myapp KINESUMER_STREAMS=orders AWS_REGION=eu-west-1 npx tsx examples/prometheus-metrics.ts
 */
import { createServer } from 'node:http';
import { collectDefaultMetrics, register } from 'prom-client';
import { checkpoint, createKinesumer } from '../src/index.js';
import { registerKinesumerMetrics } from '../src/prometheus.js';

const region = process.env['AWS_REGION'] ?? 'us-east-1';
const consumer = createKinesumer({
  app: process.env['KINESUMER_APP'] ?? 'metrics-example',
  kinesis: { region, ...(process.env['KINESUMER_KINESIS_ENDPOINT'] && { endpoint: process.env['KINESUMER_KINESIS_ENDPOINT'], http1: true }) },
  stateStore: {
    table: process.env['KINESUMER_TABLE'] ?? 'kinesumer-state-store',
    region,
    ...(process.env['KINESUMER_DYNAMODB_ENDPOINT'] && { endpoint: process.env['KINESUMER_DYNAMODB_ENDPOINT'] }),
  },
});

collectDefaultMetrics();
registerKinesumerMetrics(consumer);
const server = createServer((req, res) => {
  if (req.url !== '/metrics') {
    res.statusCode = 404;
    res.end();
    return;
  }
  void register.metrics().then((body) => {
    res.setHeader('content-type', register.contentType);
    res.end(body);
  });
}).listen(Number(process.env['METRICS_PORT'] ?? 9464));

consumer.events$.subscribe((event) => console.error(JSON.stringify(event)));
consumer
  .consume((process.env['KINESUMER_STREAMS'] ?? 'orders').split(','))
  .pipe(checkpoint(consumer))
  .subscribe();

process.once('SIGTERM', () => void consumer.close().then(() => server.close()));
