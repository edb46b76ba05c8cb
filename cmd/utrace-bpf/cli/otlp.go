package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"golang.org/x/sys/unix"

	"github.com/utrace-bpf/utrace-bpf/engines/pipeline"
)

// otlpSink sends the JSON log's records to an OpenTelemetry collector as
// OTLP log records: one per line, the line's fields as attributes, under
// the same keys and with the same values. The SDK's batch processor queues
// them and exports from a goroutine of its own, so the ring-buffer reader
// never waits for the network; what the queue could not take is counted
// and said at the end, never dropped silently.
type otlpSink struct {
	url      string
	provider *sdklog.LoggerProvider
	logger   log.Logger
	exp      *countingExporter
	emitted  atomic.Uint64
	// wallOffset turns the records' CLOCK_MONOTONIC times into the Unix
	// times OTLP carries: CLOCK_REALTIME - CLOCK_MONOTONIC at the start.
	wallOffset int64
	attrs      []attribute.KeyValue // scratch; Record and Summary run under the Output's lock
	once       sync.Once
}

// otlpQueue is how many records may wait for export: a second of a busy
// trace. Past it the batch processor drops records, which the summary
// counts.
const otlpQueue = 1 << 16

// startOTLP makes the exporter to rawURL and adds it to out.
func startOTLP(rawURL string, out *pipeline.Output) (*otlpSink, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, badInput("otlp %q: %v", rawURL, err)
	}
	if u.Path == "" || u.Path == "/" {
		// A collector's base address, as OTEL_EXPORTER_OTLP_ENDPOINT
		// gives it: logs go to its /v1/logs.
		u.Path = "/v1/logs"
	}
	exp, err := otlploghttp.New(context.Background(), otlploghttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, badInput("otlp %q: %v", rawURL, err)
	}
	// The SDK reports each failed export through the global handler,
	// with the collector's reply, often an HTML page: say the first on
	// one line, and count the others for the end (close).
	var warned atomic.Bool
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		if !warned.Swap(true) {
			fmt.Fprintf(os.Stderr, "utrace-bpf: otlp: %s (further failures are counted at the end)\n", clip(oneLine(err)))
		}
	}))
	host, _ := os.Hostname()
	res := resource.NewSchemaless(
		attribute.String("service.name", "utrace-bpf"),
		attribute.String("service.version", Version),
		attribute.String("host.name", host),
	)
	s := &otlpSink{url: u.String(), exp: &countingExporter{Exporter: exp}, wallOffset: wallOffset()}
	s.provider = sdklog.NewLoggerProvider(
		sdklog.WithResource(res),
		sdklog.WithProcessor(sdklog.NewBatchProcessor(s.exp,
			sdklog.WithMaxQueueSize(otlpQueue), sdklog.WithExportMaxBatchSize(1024),
			sdklog.WithExportInterval(time.Second))),
	)
	s.logger = s.provider.Logger("github.com/utrace-bpf/utrace-bpf")
	if err := out.AddSink(s); err != nil {
		return nil, err
	}
	return s, nil
}

func wallOffset() int64 {
	var mono, real unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &mono)
	unix.ClockGettime(unix.CLOCK_REALTIME, &real)
	return real.Nano() - mono.Nano()
}

// Record implements pipeline.Sink.
func (s *otlpSink) Record(r *pipeline.Record) {
	ev := r.Event.String()
	var rec log.Record
	if r.Time != 0 {
		rec.SetTimestamp(time.Unix(0, int64(r.Time)+s.wallOffset))
	}
	rec.SetObservedTimestamp(time.Now())
	rec.SetSeverity(log.SeverityInfo)
	rec.SetEventName(ev)
	rec.SetBody(attribute.StringValue(ev))
	a := append(s.attrs[:0],
		attribute.Int64("ts", int64(r.Time)), attribute.String("event", ev), attribute.Int("pid", r.Pid), attribute.Int("tid", r.Tid),
		attribute.String("engine", r.Engine))
	for _, f := range r.Fields {
		switch v := f.Value().(type) {
		case int64:
			a = append(a, attribute.Int64(f.Key, v))
		case string:
			a = append(a, attribute.String(f.Key, v))
		case []string:
			a = append(a, attribute.StringSlice(f.Key, v))
		}
	}
	rec.AddAttributes(a...)
	s.attrs = a
	s.emit(&rec)
}

// Summary implements pipeline.Sink.
func (s *otlpSink) Summary(engine, line string) {
	var rec log.Record
	rec.SetObservedTimestamp(time.Now())
	rec.SetSeverity(log.SeverityInfo)
	rec.SetEventName("summary")
	rec.SetBody(attribute.StringValue(line))
	rec.AddAttributes(attribute.String("engine", engine), attribute.String("summary", line))
	s.emit(&rec)
}

func (s *otlpSink) emit(rec *log.Record) {
	s.emitted.Add(1)
	s.logger.Emit(context.Background(), *rec)
}

// close exports what is queued, within a bound, and with say tells on
// standard error how many records reached the collector: all, or how many
// did not and why. Only its first call does anything.
func (s *otlpSink) close(say bool) {
	if s == nil {
		return
	}
	s.once.Do(func() { s.shutdown(say) })
}

func (s *otlpSink) shutdown(say bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := s.provider.Shutdown(ctx)
	sent, failed, ferr := s.exp.counts()
	all := s.emitted.Load()
	line := fmt.Sprintf("utrace-bpf: otlp: %d of %d records exported to %s", sent, all, s.url)
	if failed > 0 {
		line += fmt.Sprintf("; %d failed: %s", failed, clip(oneLine(ferr)))
	}
	if rest := all - min(all, sent+failed); rest > 0 {
		line += fmt.Sprintf("; %d not exported (queue full or shut down before export)", rest)
	}
	if err != nil {
		line += "; shutdown: " + clip(oneLine(err))
	}
	if say {
		fmt.Fprintln(os.Stderr, line)
	}
}

// clip shortens an error that quotes a collector's reply.
func clip(s string) string {
	const most = 200
	if len(s) <= most {
		return s
	}
	return s[:most] + "..."
}

// countingExporter counts what its Exporter did with the records.
type countingExporter struct {
	sdklog.Exporter
	mu      sync.Mutex
	sent    uint64
	failed  uint64
	lastErr error
}

func (c *countingExporter) Export(ctx context.Context, records []sdklog.Record) error {
	err := c.Exporter.Export(ctx, records)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failed += uint64(len(records))
		c.lastErr = err
	} else {
		c.sent += uint64(len(records))
	}
	return err
}

func (c *countingExporter) counts() (sent, failed uint64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent, c.failed, c.lastErr
}
