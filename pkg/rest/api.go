package rest

import "github.com/smokenet/smoke/pkg/rest/restcore"

// The protocol lives in package restcore, which does not import net/http; this package puts net/http's types on it.
// What is the same in both is declared once, there, and named here.

// DefaultPort is the port rest:// URLs without one use, and StartServer's when given 0.
const DefaultPort = restcore.DefaultPort

// DefaultMaxHeaderBytes bounds an encoded request or response head when the Server's or Transport's MaxHeaderBytes
// is 0.
const DefaultMaxHeaderBytes = restcore.DefaultMaxHeaderBytes

// DefaultRecordWindow is how many records a RecordWriter may run ahead of its reader when RecordOptions.Window is 0.
const DefaultRecordWindow = restcore.DefaultRecordWindow

// Kind is what a response body carries. It travels in the response head.
type Kind = restcore.Kind

// Body kinds.
const (
	KindBytes   = restcore.KindBytes   // an ordinary body: bytes, streamed in chunks
	KindRecords = restcore.KindRecords // JSON records with demand-driven back-pressure (NewRecordWriter, NewRecordReader)
	KindMedia   = restcore.KindMedia   // a media byte stream; filled in by the media package; travels like KindBytes
)

// Errors.
var (
	ErrServerClosed      = restcore.ErrServerClosed      // what Server.Serve returns after Close or Shutdown
	ErrUnsupportedScheme = restcore.ErrUnsupportedScheme // a request URL whose scheme is not "rest"
	// ErrProtocol means the peer broke the wire protocol (SPEC.md); the socket was closed. The wrapping error says
	// what happened.
	ErrProtocol   = restcore.ErrProtocol
	ErrNotRecords = restcore.ErrNotRecords // a response that is not a record stream was given to NewRecordReader
	// ErrBodyKind means a body of one kind was written as another: bytes written to a record stream, say, or
	// SetBodyKind after the head was sent.
	ErrBodyKind = restcore.ErrBodyKind
)

// RecordOptions configures a RecordWriter. Nil means defaults.
type RecordOptions = restcore.RecordOptions

// RecordWriter writes a response body of JSON records, each sent only when the client has room for it: at most
// Window records ahead of what the client's RecordReader has consumed. Over a ResponseWriter that is not this
// package's (httptest.ResponseRecorder, net/http's server) it writes NDJSON instead, one record per line with
// Content-Type application/x-ndjson, flushing after each, and without demand.
type RecordWriter = restcore.RecordWriter

// RecordReader reads the JSON records of a response body, granting the server room for more as it consumes them.
// It reads NDJSON from any other response (Content-Type application/x-ndjson or application/jsonl).
type RecordReader = restcore.RecordReader
