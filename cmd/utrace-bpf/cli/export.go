package cli

import (
	"net"
	"net/url"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// addExportFlags adds the flags that feed collectors: the Prometheus
// endpoint and the OTLP exporter. Each is also a config key (metrics:,
// otlp:) and an environment variable (UTRACE_BPF_METRICS, UTRACE_BPF_OTLP).
func addExportFlags(pf *pflag.FlagSet, v *viper.Viper) {
	pf.String("metrics", "", "serve Prometheus metrics on `ADDR`/metrics, e.g. 127.0.0.1:9464 (default off)")
	pf.Duration("metrics-linger", 0, "keep serving the final metrics this `long` after the summary (or until SIGINT/SIGTERM)")
	pf.String("otlp", "", "send every JSON record as an OTLP log record to the OTLP/HTTP endpoint `URL`, e.g. http://127.0.0.1:4318")
	v.BindPFlag("metrics", pf.Lookup("metrics"))
	v.BindPFlag("metrics_linger", pf.Lookup("metrics-linger"))
	v.BindPFlag("otlp", pf.Lookup("otlp"))
}

// exportSettings checks the export settings and puts them in cfg. The OTLP
// records are the JSON log's (the engines make their fields only for JSON
// output), so --otlp wants JSON output: without --format it is JSON.
func exportSettings(v *viper.Viper, cfg *Config) error {
	if cfg.Metrics = v.GetString("metrics"); cfg.Metrics != "" {
		if _, _, err := net.SplitHostPort(cfg.Metrics); err != nil {
			return badInput("metrics %q: want HOST:PORT, e.g. 127.0.0.1:9464 (%v)", cfg.Metrics, err)
		}
	}
	if s := v.GetString("metrics_linger"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return badInput("metrics-linger %q: want a duration such as 30s", s)
		}
		cfg.MetricsLinger = d
	}
	if cfg.MetricsLinger > 0 && cfg.Metrics == "" {
		return badInput("--metrics-linger: give --metrics ADDR too")
	}
	if cfg.OTLP = v.GetString("otlp"); cfg.OTLP != "" {
		u, err := url.Parse(cfg.OTLP)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return badInput("otlp %q: want an OTLP/HTTP endpoint URL such as http://127.0.0.1:4318", cfg.OTLP)
		}
		if cfg.Format != "json" {
			return badInput("otlp: the exporter sends the JSON records: use --format json (or no --format)")
		}
	}
	return nil
}
