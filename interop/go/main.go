// Command interop is the Go side of the interop tests: it produces task
// messages the way Go services do, and consumes them the way they do.
//
// go-queue and gopkg are not on the Go module proxy this repository can
// reach, so this program reproduces the parts of them that decide what goes
// over the wire, on the same client they use (segmentio/kafka-go) and the
// same tracing API (go.opentelemetry.io/otel):
//
//   - go-queue's kq.Pusher: a kafka.Writer with Balancer LeastBytes and
//     Compression Snappy (the codec is a flag here, to cover every codec),
//     PushWithKey injecting the caller's trace context into W3C headers.
//   - gopkg's kqkafka.Producer.Publish: a PRODUCER span named
//     "kqkafka.Publish.<topic>", its context injected into an http.Header
//     based propagation.HeaderCarrier, the value wrapped as
//     {"carrier": <carrier>, "body": <value>} (xtrace.MqMsg), then pushed
//     with kq.Pusher (which adds the caller's context as W3C headers).
//   - go-queue's kq consumer: a kafka.Reader with kq's reader settings, the
//     trace context extracted from the headers, and, like gopkg's kqkafka
//     consumer, from the envelope's carrier.
//
// Usage:
//
//	interop produce -brokers B -topic T -codec snappy -mode pusher|publish|publish-no-headers < messages.jsonl
//	interop consume -brokers B -topic T -group G -count N
//
// produce reads {"key": "...", "value": "..."} lines and prints, per message,
// the key, the trace id and the span id a consumer's span must have as parent.
// consume prints one JSON line per message it read, then commits and exits.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// traceName is go-zero's trace.TraceName, the tracer gopkg's xtrace uses.
const traceName = "go-zero"

func main() {
	if len(os.Args) < 2 {
		fail("usage: interop produce|consume [flags]")
	}
	// go-zero's trace setup: W3C trace context and baggage; every span sampled.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample())))
	switch os.Args[1] {
	case "produce":
		produce(os.Args[2:])
	case "consume":
		consume(os.Args[2:])
	default:
		fail("unknown command " + os.Args[1])
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(2)
}

var codecs = map[string]kafka.Compression{
	"gzip":   kafka.Gzip,
	"snappy": kafka.Snappy,
	"lz4":    kafka.Lz4,
	"zstd":   kafka.Zstd,
}

// messageCarrier is go-queue's kq/internal MessageCarrier: Kafka headers as a
// TextMapCarrier, one value per key.
type messageCarrier struct{ msg *kafka.Message }

func (c messageCarrier) Get(key string) string {
	for _, h := range c.msg.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func (c messageCarrier) Set(key, value string) {
	headers := c.msg.Headers[:0]
	for _, h := range c.msg.Headers {
		if h.Key != key {
			headers = append(headers, h)
		}
	}
	c.msg.Headers = append(headers, kafka.Header{Key: key, Value: []byte(value)})
}

func (c messageCarrier) Keys() []string {
	keys := make([]string, 0, len(c.msg.Headers))
	for _, h := range c.msg.Headers {
		keys = append(keys, h.Key)
	}
	return keys
}

// pusher reproduces go-queue's kq.Pusher (its batching ChunkExecutor aside:
// the messages of one run go out in one WriteMessages call, as one chunk).
type pusher struct {
	writer  *kafka.Writer
	headers bool
	batch   []kafka.Message
}

func newPusher(brokers []string, topic string, codec string, headers bool) *pusher {
	writer := &kafka.Writer{
		Addr:        kafka.TCP(brokers...),
		Topic:       topic,
		Balancer:    &kafka.LeastBytes{},
		Compression: codecs[codec],
		// kq.Pusher keeps kafka-go's defaults; a short batch timeout only
		// makes this one-shot run quicker.
		BatchTimeout: 10 * time.Millisecond,
	}
	return &pusher{writer: writer, headers: headers}
}

// PushWithKey is kq.Pusher.PushWithKey: the caller's trace context goes into
// the headers (older go-queue releases wrote none: headers=false).
func (p *pusher) PushWithKey(ctx context.Context, key, value string) {
	msg := kafka.Message{Key: []byte(key), Value: []byte(value)}
	if p.headers {
		otel.GetTextMapPropagator().Inject(ctx, messageCarrier{&msg})
	}
	p.batch = append(p.batch, msg)
}

func (p *pusher) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.writer.WriteMessages(ctx, p.batch...); err != nil {
		return err
	}
	return p.writer.Close()
}

// mqMsg is gopkg's xtrace.MqMsg.
type mqMsg struct {
	Carrier *propagation.HeaderCarrier `json:"carrier"`
	Body    string                     `json:"body"`
}

// publish is gopkg's kqkafka.Producer.Publish over the pusher above.
func publish(ctx context.Context, p *pusher, topic, key, value string) trace.SpanContext {
	tracer := otel.GetTracerProvider().Tracer(traceName)
	spanCtx, span := tracer.Start(ctx, "kqkafka.Publish."+topic, trace.WithSpanKind(trace.SpanKindProducer))
	defer span.End()
	carrier := &propagation.HeaderCarrier{}
	otel.GetTextMapPropagator().Inject(spanCtx, carrier)
	payload, err := json.Marshal(mqMsg{Carrier: carrier, Body: value})
	if err != nil {
		fail(err.Error())
	}
	// Publish pushes with the caller's ctx, not the span's: the W3C headers
	// carry the caller's span, the envelope the producer span.
	p.PushWithKey(ctx, key, string(payload))
	return span.SpanContext()
}

type input struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type produced struct {
	Key     string `json:"key"`
	TraceID string `json:"traceId"`
	// The span a consumer's span must have as parent.
	ParentSpanID string `json:"parentSpanId"`
}

func produce(args []string) {
	flags := flag.NewFlagSet("produce", flag.ExitOnError)
	brokers := flags.String("brokers", "127.0.0.1:9092", "comma-separated brokers")
	topic := flags.String("topic", "", "topic")
	codec := flags.String("codec", "snappy", "none, gzip, snappy, lz4 or zstd")
	mode := flags.String("mode", "pusher", "pusher, publish or publish-no-headers")
	_ = flags.Parse(args)
	if _, ok := codecs[*codec]; !ok && *codec != "none" {
		fail("unknown codec " + *codec)
	}
	p := newPusher(strings.Split(*brokers, ","), *topic, *codec, *mode != "publish-no-headers")

	// The callers' spans continue a remote trace with a tracestate, so that
	// tracestate travels too.
	state, _ := trace.ParseTraceState("go=interop")
	tracer := otel.GetTracerProvider().Tracer(traceName)
	out := json.NewEncoder(os.Stdout)
	lines := bufio.NewScanner(os.Stdin)
	lines.Buffer(make([]byte, 1<<20), 1<<24)
	var results []produced
	for lines.Scan() {
		var in input
		if err := json.Unmarshal(lines.Bytes(), &in); err != nil {
			fail(err.Error())
		}
		remote := trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: newTraceID(), SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
			TraceFlags: trace.FlagsSampled, TraceState: state, Remote: true,
		})
		ctx, caller := tracer.Start(trace.ContextWithRemoteSpanContext(context.Background(), remote), "caller")
		var parent trace.SpanContext
		if *mode == "pusher" {
			p.PushWithKey(ctx, in.Key, in.Value)
			parent = caller.SpanContext()
		} else {
			parent = publish(ctx, p, *topic, in.Key, in.Value)
		}
		caller.End()
		results = append(results, produced{Key: in.Key, TraceID: parent.TraceID().String(), ParentSpanID: parent.SpanID().String()})
	}
	if err := p.Close(); err != nil {
		fail("write failed: " + err.Error())
	}
	for _, r := range results {
		_ = out.Encode(r)
	}
}

var traceCounter uint64

func newTraceID() trace.TraceID {
	traceCounter++
	var id trace.TraceID
	now := uint64(time.Now().UnixNano())
	for i := 0; i < 8; i++ {
		id[i] = byte(now >> (8 * i))
		id[8+i] = byte(traceCounter >> (8 * i))
	}
	return id
}

type consumed struct {
	Key       string            `json:"key"`
	Value     string            `json:"value"` // base64: compared byte for byte
	Headers   map[string]string `json:"headers"`
	Partition int               `json:"partition"`
	Offset    int64             `json:"offset"`
	// From the W3C headers, as kq's consumer extracts them.
	TraceID      string `json:"traceId"`
	ParentSpanID string `json:"parentSpanId"`
	// From the envelope's carrier, as gopkg's kqkafka consumer extracts it.
	Body                 *string `json:"body,omitempty"`
	EnvelopeTraceID      string  `json:"envelopeTraceId,omitempty"`
	EnvelopeParentSpanID string  `json:"envelopeParentSpanId,omitempty"`
}

func consume(args []string) {
	flags := flag.NewFlagSet("consume", flag.ExitOnError)
	brokers := flags.String("brokers", "127.0.0.1:9092", "comma-separated brokers")
	topic := flags.String("topic", "", "topic")
	group := flags.String("group", "", "consumer group")
	count := flags.Int("count", 0, "messages to read before exiting")
	timeout := flags.Duration("timeout", 60*time.Second, "give up after")
	_ = flags.Parse(args)

	// kq's reader: Offset "first" for a group with no commit, kq's defaults.
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        strings.Split(*brokers, ","),
		GroupID:        *group,
		Topic:          *topic,
		StartOffset:    kafka.FirstOffset,
		MinBytes:       10 * 1024,
		MaxBytes:       10 * 1024 * 1024,
		MaxWait:        time.Second,
		CommitInterval: time.Second,
		QueueCapacity:  1000,
	})
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	out := json.NewEncoder(os.Stdout)
	propagator := otel.GetTextMapPropagator()
	for read := 0; read < *count; read++ {
		msg, err := reader.FetchMessage(ctx)
		if err != nil {
			_ = reader.Close()
			fail(fmt.Sprintf("read %d of %d messages: %v", read, *count, err))
		}
		headers := map[string]string{}
		for _, h := range msg.Headers {
			headers[h.Key] = string(h.Value)
		}
		fromHeaders := trace.SpanContextFromContext(propagator.Extract(context.Background(), messageCarrier{&msg}))
		line := consumed{
			Key: string(msg.Key), Value: base64.StdEncoding.EncodeToString(msg.Value), Headers: headers,
			Partition: msg.Partition, Offset: msg.Offset,
			TraceID: fromHeaders.TraceID().String(), ParentSpanID: fromHeaders.SpanID().String(),
		}
		// gopkg's kqkafka consumer: parse the envelope, continue its carrier's trace.
		var envelope mqMsg
		if json.Unmarshal(msg.Value, &envelope) == nil && envelope.Body != "" {
			body := envelope.Body
			line.Body = &body
			carrier := propagation.HeaderCarrier(http.Header{})
			if envelope.Carrier != nil {
				carrier = *envelope.Carrier
			}
			fromEnvelope := trace.SpanContextFromContext(propagator.Extract(context.Background(), carrier))
			line.EnvelopeTraceID = fromEnvelope.TraceID().String()
			line.EnvelopeParentSpanID = fromEnvelope.SpanID().String()
		}
		_ = out.Encode(line)
		if err := reader.CommitMessages(ctx, msg); err != nil {
			fail("commit failed: " + err.Error())
		}
	}
	if err := reader.Close(); err != nil {
		fail("close failed: " + err.Error())
	}
}
