package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/utrace-bpf/utrace-bpf/core"
	"github.com/utrace-bpf/utrace-bpf/core/sysabi"
	"github.com/utrace-bpf/utrace-bpf/engines/counter"
	"github.com/utrace-bpf/utrace-bpf/stopper"
)

// The metrics, named as Prometheus names them: the utrace_bpf_ namespace,
// _total for counters, base units (seconds, bytes). The README's table lists
// them; one place, here, says what each is.
var (
	descDelivered = prometheus.NewDesc("utrace_bpf_events_delivered_total",
		"Event records read from the ring buffer and delivered to the engines, per event type.", []string{"event"}, nil)
	descLost = prometheus.NewDesc("utrace_bpf_events_lost_total",
		"Event records the kernel dropped because the ring buffer was full, per event type.", []string{"event"}, nil)
	descReports = prometheus.NewDesc("utrace_bpf_engine_reports_total",
		"Reports the engines handled, per engine instance.", []string{"engine"}, nil)
	descSyscalls = prometheus.NewDesc("utrace_bpf_syscalls_total",
		"System calls counted in the kernel by a counter engine, per engine and system call name.", []string{"engine", "name"}, nil)
	descSyscallErrors = prometheus.NewDesc("utrace_bpf_syscall_errors_total",
		"System calls that returned an error, counted by a counter engine, per engine and system call name.", []string{"engine", "name"}, nil)
	descSyscallSeconds = prometheus.NewDesc("utrace_bpf_syscall_seconds_total",
		"Time spent in system calls, counted by a counter engine, per engine and system call name.", []string{"engine", "name"}, nil)
	descThreads = prometheus.NewDesc("utrace_bpf_threads",
		"Traced threads, per tier of their costliest engine (in-kernel, passive, synchronous).", []string{"tier"}, nil)
	descRingUsed = prometheus.NewDesc("utrace_bpf_ring_buffer_used_bytes",
		"Bytes of records waiting in the ring buffer for the reader.", nil, nil)
	descRingSize = prometheus.NewDesc("utrace_bpf_ring_buffer_size_bytes",
		"Size of the ring buffer.", nil, nil)
	descStagedPeak = prometheus.NewDesc("utrace_bpf_staged_peak_bytes",
		"Most bytes of records that waited at once between the ring buffer and their handling.", nil, nil)
	descMalformed = prometheus.NewDesc("utrace_bpf_records_malformed_total",
		"Ring-buffer records the reader could not decode.", nil, nil)
	descInheritFailed = prometheus.NewDesc("utrace_bpf_inherit_failed_total",
		"Children of followed threads the kernel could not give a watch to.", nil, nil)
	descStops = prometheus.NewDesc("utrace_bpf_stop_duration_seconds",
		"Synchronous (ptrace) stops made for the engines, from the report to the thread's restart.", nil, nil)
)

// metricsCollector reads the session's live counters at each scrape: the
// loader's, the stopper's, the tracer's threads and the engines' own, so
// that nothing is counted twice.
type metricsCollector struct {
	s *session

	// high is the highest value each syscall series has shown. A thread's
	// kernel counts move to its engine's totals when it dies; a scrape
	// at that moment may miss them (see counter.SyscallCounter), and a
	// Prometheus counter must never go down.
	mu   sync.Mutex
	high map[[3]string]float64
}

func (c *metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descDelivered, descLost, descReports, descSyscalls, descSyscallErrors,
		descSyscallSeconds, descThreads, descRingUsed, descRingSize, descStagedPeak, descMalformed,
		descInheritFailed, descStops} {
		ch <- d
	}
}

func (c *metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	if st, err := s.ldr.Stats(); err != nil {
		// No number is better than a wrong one: the scrape fails.
		ch <- prometheus.NewInvalidMetric(descLost, err)
	} else {
		for rest := core.EventAll; rest != 0; rest &= rest - 1 {
			ev := rest & -rest
			t := st.For(ev)
			ch <- prometheus.MustNewConstMetric(descDelivered, prometheus.CounterValue, float64(t.Delivered), ev.String())
			ch <- prometheus.MustNewConstMetric(descLost, prometheus.CounterValue, float64(t.Lost), ev.String())
		}
		ch <- prometheus.MustNewConstMetric(descStagedPeak, prometheus.GaugeValue, float64(st.StagedPeak))
		ch <- prometheus.MustNewConstMetric(descMalformed, prometheus.CounterValue, float64(st.Malformed))
		ch <- prometheus.MustNewConstMetric(descInheritFailed, prometheus.CounterValue, float64(st.InheritFailed))
	}
	used, size := s.ldr.RingFill()
	ch <- prometheus.MustNewConstMetric(descRingUsed, prometheus.GaugeValue, float64(used))
	ch <- prometheus.MustNewConstMetric(descRingSize, prometheus.GaugeValue, float64(size))

	// Two instances may share a name (-e syscalls -e syscalls): one
	// series each name, their sum.
	reports := map[string]uint64{}
	var order []string
	for _, e := range s.stages {
		if _, ok := reports[e.Name()]; !ok {
			order = append(order, e.Name())
		}
		reports[e.Name()] += e.Reports()
	}
	for _, name := range order {
		ch <- prometheus.MustNewConstMetric(descReports, prometheus.CounterValue, float64(reports[name]), name)
	}
	c.collectSyscalls(ch)

	var threads [nrTiers]int
	for _, th := range s.tr.Threads() {
		threads[threadTier(th)]++
	}
	for t := range nrTiers {
		ch <- prometheus.MustNewConstMetric(descThreads, prometheus.GaugeValue, float64(threads[t]), t.String())
	}

	ch <- stopHistogram(s.stp.Stats())
}

// collectSyscalls reports the counter engines' tables.
func (c *metricsCollector) collectSyscalls(ch chan<- prometheus.Metric) {
	type row struct{ calls, errors, seconds float64 }
	rows := map[[2]string]*row{}
	var order [][2]string
	for _, e := range c.s.stages {
		sc, ok := e.(counter.SyscallCounter)
		if !ok {
			continue
		}
		// Threads whose counts could not be read are left out of this
		// scrape; the high-water marks below keep the counters from
		// going down meanwhile.
		totals, _ := sc.SyscallTotals()
		for nr, st := range totals {
			k := [2]string{e.Name(), sysabi.Name(nr)}
			r := rows[k]
			if r == nil {
				r = &row{}
				rows[k] = r
				order = append(order, k)
			}
			r.calls += float64(st.Calls)
			r.errors += float64(st.Errors)
			r.seconds += st.Time.Seconds()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.high == nil {
		c.high = map[[3]string]float64{}
	}
	mono := func(kind string, k [2]string, v float64) float64 {
		hk := [3]string{kind, k[0], k[1]}
		v = max(v, c.high[hk])
		c.high[hk] = v
		return v
	}
	// Series seen before stay, even if none of their threads could be
	// read this time.
	for hk := range c.high {
		k := [2]string{hk[1], hk[2]}
		if rows[k] == nil {
			rows[k] = &row{}
			order = append(order, k)
		}
	}
	for _, k := range order {
		r := rows[k]
		ch <- prometheus.MustNewConstMetric(descSyscalls, prometheus.CounterValue, mono("calls", k, r.calls), k[0], k[1])
		ch <- prometheus.MustNewConstMetric(descSyscallErrors, prometheus.CounterValue, mono("errors", k, r.errors), k[0], k[1])
		ch <- prometheus.MustNewConstMetric(descSyscallSeconds, prometheus.CounterValue, mono("seconds", k, r.seconds), k[0], k[1])
	}
}

func stopHistogram(st stopper.Stats) prometheus.Metric {
	buckets := make(map[float64]uint64, len(st.Buckets))
	for i, n := range st.Buckets {
		buckets[stopper.StopBuckets[i].Seconds()] = n
	}
	return prometheus.MustNewConstHistogram(descStops, st.Stops, st.Total.Seconds(), buckets)
}

// metricsServer serves /metrics while a session runs.
type metricsServer struct {
	srv  *http.Server
	done chan error
}

// startMetrics listens on cfg.Metrics and serves the session's metrics,
// with the Go runtime's and the process's. It says where on standard
// error: with a port of 0 the kernel chose it.
func startMetrics(s *session) (*metricsServer, error) {
	ln, err := net.Listen("tcp", s.cfg.Metrics)
	if err != nil {
		return nil, badInput("metrics: %v", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&metricsCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	m := &metricsServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan error, 1),
	}
	go func() { m.done <- m.srv.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "utrace-bpf: metrics on http://%s/metrics\n", ln.Addr())
	return m, nil
}

// linger keeps serving the final values for d after the summary, so that a
// scrape after a short run still sees them; SIGINT or SIGTERM end it early.
func (m *metricsServer) linger(d time.Duration) {
	if m == nil || d <= 0 {
		return
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-sigs:
	}
}

// close stops serving, letting scrapes in progress finish.
func (m *metricsServer) close() error {
	if m == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if serr := <-m.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("metrics server: %w", err)
	}
	return nil
}
