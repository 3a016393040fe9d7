// kqconsumer: the Go baseline of `pnpm bench`. A consumer wired the way
// go-queue's kq (github.com/zeromicro/go-queue, kq/queue.go and kq/config.go)
// wires segmentio/kafka-go. go-queue itself is not on the module proxy this
// project may use, so its consumer setup is reproduced here from its source:
//
//   - one kafka.Reader per conn with GroupID, Topic, StartOffset, MinBytes
//     (10 KiB), MaxBytes (10 MiB), MaxWait (1 s), CommitInterval (1 s,
//     so commits are batched in the background) and QueueCapacity (1000);
//   - `consumers` goroutines call FetchMessage and hand each message over an
//     unbuffered channel to `processors` goroutines;
//   - each processor calls the handler with string(key) and string(value),
//     then CommitMessages (ForceCommit defaults to true).
//
// go-zero's metrics and the OpenTelemetry propagator extraction kq does per
// message are left out, which flatters the baseline slightly.
//
// It counts messages from the end of a warm-up (the first tenth, as the Node
// side does) to the `-count`th and prints one JSON line
// {"messages":N,"seconds":S,"perSecond":R,"cpuSeconds":C,"perCpuSecond":P} on
// stdout (C: the process's user+system CPU time over the same span, every
// thread), then closes the reader.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "comma-separated brokers")
	topic := flag.String("topic", "", "topic to read")
	group := flag.String("group", "", "consumer group id")
	count := flag.Int64("count", 0, "messages to wait for")
	consumers := flag.Int("consumers", 8, "fetching goroutines (kq Consumers, default 8)")
	processors := flag.Int("processors", 8, "handler goroutines (kq Processors, default 8)")
	minBytes := flag.Int("min-bytes", 10240, "kq MinBytes")
	maxBytes := flag.Int("max-bytes", 10485760, "kq MaxBytes")
	maxWait := flag.Duration("max-wait", time.Second, "kq's default MaxWait")
	work := flag.Duration("io", 0, "simulated I/O the handler waits for per message")
	timeout := flag.Duration("timeout", 5*time.Minute, "give up after this long")
	flag.Parse()
	if *topic == "" || *group == "" || *count <= 0 {
		fmt.Fprintln(os.Stderr, "kqconsumer: -topic, -group and -count are required")
		os.Exit(2)
	}

	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        strings.Split(*brokers, ","),
		GroupID:        *group,
		Topic:          *topic,
		StartOffset:    kafka.FirstOffset,
		MinBytes:       *minBytes,
		MaxBytes:       *maxBytes,
		MaxWait:        *maxWait,
		CommitInterval: time.Second,
		QueueCapacity:  1000,
	})

	var seen atomic.Int64
	var first, last atomic.Int64
	var cpuFirst, cpuLast atomic.Int64
	done := make(chan struct{})
	var once sync.Once
	handle := func(key, value string) error {
		_ = key
		_ = value
		if *work > 0 {
			time.Sleep(*work)
		}
		now := time.Now().UnixNano()
		n := seen.Add(1)
		// As the Node meter does: the first tenth of the records is warm-up.
		if n == *count/10+1 {
			first.Store(now)
			cpuFirst.Store(cpuNanos())
		}
		if n == *count {
			last.Store(now)
			cpuLast.Store(cpuNanos())
			once.Do(func() { close(done) })
		}
		return nil
	}

	ctx, cancel := context.WithCancel(context.Background())
	channel := make(chan kafka.Message)
	var fetchers, workers sync.WaitGroup
	for i := 0; i < *processors; i++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for msg := range channel {
				_ = handle(string(msg.Key), string(msg.Value))
				_ = reader.CommitMessages(context.Background(), msg)
			}
		}()
	}
	for i := 0; i < *consumers; i++ {
		fetchers.Add(1)
		go func() {
			defer fetchers.Done()
			for {
				msg, err := reader.FetchMessage(ctx)
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					continue
				}
				select {
				case channel <- msg:
				case <-ctx.Done():
					return
				}
			}
		}()
	}

	status := 0
	select {
	case <-done:
		seconds := float64(last.Load()-first.Load()) / 1e9
		cpuSeconds := float64(cpuLast.Load()-cpuFirst.Load()) / 1e9
		// Intervals between the first measured record and the last.
		measured := *count - *count/10 - 1
		out, _ := json.Marshal(map[string]any{
			"messages":     *count,
			"seconds":      seconds,
			"perSecond":    float64(measured) / seconds,
			"cpuSeconds":   cpuSeconds,
			"perCpuSecond": float64(measured) / cpuSeconds,
		})
		fmt.Println(string(out))
	case <-time.After(*timeout):
		fmt.Fprintf(os.Stderr, "kqconsumer: only %d/%d messages within %s\n", seen.Load(), *count, *timeout)
		status = 1
	}
	cancel()
	fetchers.Wait()
	close(channel)
	workers.Wait()
	_ = reader.Close()
	os.Exit(status)
}

// cpuNanos is the user+system CPU time of the whole process so far.
func cpuNanos() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return usage.Utime.Nano() + usage.Stime.Nano()
}
