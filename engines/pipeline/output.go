package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/utrace-bpf/utrace-bpf/core"
)

// Record is one line of output: text like strace's, or a JSON object.
type Record struct {
	Time   uint64 // CLOCK_MONOTONIC ns of the event
	Event  core.Events
	Pid    int
	Tid    int
	Engine string
	Text   []byte  // the text form, after the "[pid N] " prefix
	Fields []Field // JSON fields after ts, event, pid, tid, engine
	// Led says Text starts with its leader already (AppendLeader), as
	// strace would print it: Emit adds none.
	Led bool
}

// Field is one JSON field of a Record.
type Field struct {
	Key  string
	kind uint8
	i    int64
	s    string
	ss   []string
}

const (
	fieldInt = iota
	fieldStr
	fieldStrs
)

// IntField, StrField and StrsField make fields.
func IntField(key string, v int64) Field     { return Field{Key: key, kind: fieldInt, i: v} }
func StrField(key, v string) Field           { return Field{Key: key, kind: fieldStr, s: v} }
func StrsField(key string, v []string) Field { return Field{Key: key, kind: fieldStrs, ss: v} }
func (f Field) String() string               { return string(f.appendJSON(nil)) }

// Value returns the field's value: an int64, a string or a []string.
func (f Field) Value() any {
	switch f.kind {
	case fieldInt:
		return f.i
	case fieldStr:
		return f.s
	}
	return f.ss
}
func (f Field) appendJSON(b []byte) []byte { return f.appendValue(appendJSONString(b, f.Key)) }

func (f Field) appendValue(b []byte) []byte {
	b = append(b, ':')
	switch f.kind {
	case fieldInt:
		return strconv.AppendInt(b, f.i, 10)
	case fieldStr:
		return appendJSONString(b, f.s)
	}
	b = append(b, '[')
	for i, s := range f.ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

var recordPool = sync.Pool{New: func() any { return new(Record) }}

// NewRecord returns an empty record for Emit, which takes it back: engines
// report from several goroutines at once and should not share one.
func NewRecord() *Record {
	r := recordPool.Get().(*Record)
	r.Text, r.Fields, r.Led = r.Text[:0], r.Fields[:0], false
	return r
}

// digits returns how many decimal digits n >= 0 has.
func digits(n int) int {
	d := 1
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}

// AppendLeader appends what strace prints before a line of thread tid
// when it follows forks: "TID  " (the tid left-aligned in five columns)
// when the output is a file (see FileLeaders), "[pid  TID] " on standard error once more
// than one thread is traced (multi), nothing otherwise. strace's column
// for the " = " counts the leader, so lines are formatted after it.
func (o *Output) AppendLeader(b []byte, tid int, multi bool) []byte {
	switch {
	case o.split != nil:
		return b // the file says whose lines they are
	case o.toFile && (o.fileLeaders || multi):
		n := len(b)
		b = strconv.AppendInt(b, int64(tid), 10)
		for len(b)-n < 5 {
			b = append(b, ' ')
		}
		return append(b, ' ')
	case multi:
		b = append(b, "[pid "...)
		for d := digits(tid); d < 5; d++ {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(tid), 10)
		return append(b, "] "...)
	}
	return b
}

// Output writes records, from any goroutine, as text or JSON lines.
//
// Records are formatted into 64 KiB chunks in memory and written by a
// goroutine of the Output's own, whenever a chunk is full, every 100 ms,
// and on Flush and Close. The ring-buffer reader, which makes most reports,
// thus never waits for the file: a write to a disk file now and then blocks
// for a while (the journal, block allocation), and the reader must keep
// draining the ring meanwhile. Only when maxChunks chunks wait does Emit
// wait for the writer. Written chunks are reused.
type Output struct {
	mu      sync.Mutex
	cond    *sync.Cond // signalled when the writer took the full chunks
	cur     []byte     // the chunk being filled
	full    [][]byte   // chunks to write, in order
	free    [][]byte   // written chunks, for reuse
	scratch []byte
	json    bool
	lines   uint64

	// writeMu keeps the writes in order: the writer goroutine and Flush
	// both take the chunks and write them holding it.
	writeMu sync.Mutex
	w       io.Writer
	err     error // the first write error

	sinks []Sink // see AddSink

	closer io.Closer
	toFile bool // a file of its own, not standard error: see AppendLeader
	// fileLeaders: a file's lines always have leaders (strace -o -f);
	// else only while several threads are traced (-o alone).
	fileLeaders bool
	split       *splitFiles // strace -ff: a file per thread instead of w
	wake        chan struct{}
	stop        chan struct{}
	done        chan struct{}
}

const (
	chunkSize = 64 << 10
	maxChunks = 2048 // 128 MiB
	maxFree   = 64
)

// NewOutput writes to w; closer, if not nil, is closed by Close, and then
// the output is a file of its own (see AppendLeader).
func NewOutput(w io.Writer, closer io.Closer, json bool) *Output {
	o := &Output{w: w, closer: closer, json: json, toFile: closer != nil, fileLeaders: true,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	o.cond = sync.NewCond(&o.mu)
	go o.writer()
	return o
}

// FileLeaders says whether the lines of an Output to a file of its own
// always have leaders (on, the default: strace -o -f) or only while
// several threads are traced (off: strace -o without -f). Call it before
// the first line.
func (o *Output) FileLeaders(on bool) { o.fileLeaders = on }

// NewSplitOutput writes the lines of each thread to a file of its own,
// prefix.TID, as strace -ff -o prefix does; lines of no thread (summaries)
// go to standard error.
func NewSplitOutput(prefix string, json bool) *Output {
	o := NewOutput(os.Stderr, nil, json)
	o.split = &splitFiles{prefix: prefix, files: map[int]*splitFile{}}
	return o
}

// SplitAppend makes a split Output add to files that exist (strace -A
// -ff) instead of emptying them. Call it before the first line.
func (o *Output) SplitAppend(on bool) {
	if o.split != nil {
		o.split.append = on
	}
}

// splitFiles are the files of a split Output, opened at a thread's first
// line. Lines go to each file's buffer under the Output's lock and reach
// the file when the buffer fills and on Flush.
type splitFiles struct {
	prefix string
	append bool // add to existing files (strace -A -ff)
	files  map[int]*splitFile
	err    error // the first failure to open or write a file
}

type splitFile struct {
	f   *os.File
	buf []byte
}

// write appends line to tid's file. o.mu is held.
func (s *splitFiles) write(tid int, line []byte) {
	sf := s.files[tid]
	if sf == nil {
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if s.append {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(s.prefix+"."+strconv.Itoa(tid), flags, 0o666)
		if err != nil {
			if s.err == nil {
				s.err = err
			}
			return
		}
		sf = &splitFile{f: f}
		s.files[tid] = sf
	}
	sf.buf = append(sf.buf, line...)
	if len(sf.buf) >= chunkSize {
		s.flushFile(sf)
	}
}

func (s *splitFiles) flushFile(sf *splitFile) {
	if len(sf.buf) == 0 {
		return
	}
	if _, err := sf.f.Write(sf.buf); err != nil && s.err == nil {
		s.err = err
	}
	sf.buf = sf.buf[:0]
}

// flush writes every buffer out. o.mu is held.
func (s *splitFiles) flush() error {
	for _, sf := range s.files {
		s.flushFile(sf)
	}
	return s.err
}

// close flushes and closes every file. o.mu is held.
func (s *splitFiles) close() error {
	err := s.flush()
	for _, sf := range s.files {
		if cerr := sf.f.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Sink receives every record a JSON Output writes, as the log has it, in
// the log's order: an exporter to a collector. It is called with the
// Output's lock held, so it must be quick, and must not keep r, which is
// reused.
type Sink interface {
	// Record is one event record: the JSON line's ts, event, pid, tid and
	// engine, then r.Fields.
	Record(r *Record)
	// Summary is one summary line, {"engine":..., "summary":...}.
	Summary(engine, line string)
}

// AddSink makes s receive the records from now on. Only a JSON Output
// has sinks: the engines make a text Output's records without fields.
func (o *Output) AddSink(s Sink) error {
	if !o.json {
		return errors.New("record sinks need JSON output")
	}
	o.mu.Lock()
	o.sinks = append(o.sinks, s)
	o.mu.Unlock()
	return nil
}

// JSON reports whether the output is JSON lines.
func (o *Output) JSON() bool { return o.json }

func (o *Output) writer() {
	defer close(o.done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-o.wake:
		case <-t.C:
		case <-o.stop:
			return
		}
		o.Flush()
	}
}

// queue appends a formatted line. o.mu is held.
func (o *Output) queue(b []byte) {
	if len(o.cur)+len(b) > chunkSize && len(o.cur) > 0 {
		for len(o.full) >= maxChunks {
			o.cond.Wait()
		}
		o.full = append(o.full, o.cur)
		o.cur = o.chunk()
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
	if o.cur == nil {
		o.cur = o.chunk()
	}
	o.cur = append(o.cur, b...)
}

// chunk returns an empty chunk. o.mu is held.
func (o *Output) chunk() []byte {
	if n := len(o.free); n > 0 {
		c := o.free[n-1]
		o.free = o.free[:n-1]
		return c[:0]
	}
	return make([]byte, 0, chunkSize)
}

// Emit writes one record and recycles it.
func (o *Output) Emit(r *Record) {
	defer recordPool.Put(r)
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.scratch[:0]
	if o.json {
		b = append(b, `{"ts":`...)
		b = strconv.AppendUint(b, r.Time, 10)
		b = append(b, `,"event":`...)
		b = appendJSONString(b, r.Event.String())
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(r.Pid), 10)
		b = append(b, `,"tid":`...)
		b = strconv.AppendInt(b, int64(r.Tid), 10)
		b = append(b, `,"engine":`...)
		b = appendJSONString(b, r.Engine)
		for _, f := range r.Fields {
			b = append(b, ',')
			b = f.appendJSON(b)
		}
		b = append(b, "}\n"...)
		for _, s := range o.sinks {
			s.Record(r)
		}
	} else {
		if !r.Led {
			b = append(b, "[pid "...)
			b = strconv.AppendInt(b, int64(r.Tid), 10)
			b = append(b, "] "...)
		}
		b = append(b, r.Text...)
		b = append(b, '\n')
	}
	o.scratch = b
	o.lines++
	if o.split != nil {
		o.split.write(r.Tid, b)
		return
	}
	o.queue(b)
}

// Text writes a line of text (summaries) as is, or as a JSON object
// {"engine":..., "summary":...} in JSON mode.
func (o *Output) Text(engine, line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b := o.scratch[:0]
	if o.json {
		b = append(b, `{"engine":`...)
		b = appendJSONString(b, engine)
		b = append(b, `,"summary":`...)
		b = appendJSONString(b, line)
		b = append(b, "}\n"...)
		for _, s := range o.sinks {
			s.Summary(engine, line)
		}
	} else {
		b = append(append(b, line...), '\n')
	}
	o.scratch = b
	o.queue(b)
}

// Warn reports a problem that does not stop tracing, on standard error.
func (o *Output) Warn(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "utrace-bpf: "+format+"\n", args...)
}

// Lines returns how many records were written.
func (o *Output) Lines() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.lines
}

// Flush writes out what is queued, and returns the first write error so
// far.
func (o *Output) Flush() error {
	o.writeMu.Lock()
	defer o.writeMu.Unlock()
	o.mu.Lock()
	if o.split != nil {
		if err := o.split.flush(); err != nil && o.err == nil {
			o.err = err
		}
	}
	batch := o.full
	if len(o.cur) > 0 {
		batch = append(batch, o.cur)
		o.cur = nil
	}
	o.full = nil
	o.cond.Broadcast()
	o.mu.Unlock()
	for _, c := range batch {
		if o.err == nil {
			_, o.err = o.w.Write(c)
		}
	}
	o.mu.Lock()
	for _, c := range batch {
		if len(o.free) < maxFree && cap(c) == chunkSize {
			o.free = append(o.free, c)
		}
	}
	o.mu.Unlock()
	return o.err
}

// Close flushes and closes the output.
func (o *Output) Close() error {
	close(o.stop)
	<-o.done
	err := o.Flush()
	if o.split != nil {
		o.mu.Lock()
		if cerr := o.split.close(); err == nil {
			err = cerr
		}
		o.mu.Unlock()
	}
	if o.closer != nil {
		if cerr := o.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		// Most of a log's strings need no escaping: copy runs at once.
		j := i
		for j < len(s) && jsonPlain[s[j]] {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			default: // other control characters and DEL
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// jsonPlain marks the bytes appendJSONString copies as they are: printable
// ASCII but the quote and the backslash.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
