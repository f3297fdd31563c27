package main

import (
	"errors"
	"fmt"

	"github.com/smokenet/smoke/internal/jsx"
	"github.com/smokenet/smoke/pkg/idb/bucket"
)

// The browser build's own errors come first in the reasons (messages.go): they are the most specific.
func init() {
	reasons = append([]reason{
		{errDBClosed, "ERR_DISPOSED", "the database has been disposed", ""},
		{errClientGone, "ERR_ABORTED", "the client has gone, or the response has ended", ""},
		{errFetchAborted, "ERR_ABORTED", "the request was aborted", ""},
		{errBucketClosed, "ERR_DISPOSED", "the bucket has been disposed", ""},
		{bucket.ErrNotFound, "ERR_NOT_FOUND", "there is no file with that key", ""},
		{bucket.ErrChanged, "ERR_CHANGED", "the file changed while it was being read", ""},
		{bucket.ErrWriteEnded, "ERR_INVALID_STATE", "the write has ended", ""},
		{bucket.ErrInvalidKey, "ERR_INVALID_KEY", "", "TypeError"},
		{bucket.ErrInvalidChunk, "ERR_INVALID_ARG_TYPE", "", "TypeError"},
		{bucket.ErrInvalidRange, "ERR_OUT_OF_RANGE", "", "RangeError"},
	}, reasons...)
}

// codedError is an error as JavaScript gets it: the code property its Error gets (jsx.ErrorValue reads JSCode), so
// that JavaScript can tell failures apart without parsing messages (err.code === 'ERR_PORT_NOT_LISTENING'), and one
// plain sentence (messages.go) as its message. Unwrap keeps the Go chain for errors.Is.
type codedError struct {
	code string
	msg  string
	err  error
}

func (e *codedError) Error() string  { return e.msg }
func (e *codedError) Unwrap() error  { return e.err }
func (e *codedError) JSCode() string { return e.code }

// namedError makes err a JavaScript error of another class (a RangeError) without changing its text:
// jsx.ErrorValue takes the name from the first jsx.Error in the chain and the message from the whole error.
type namedError struct {
	err  error
	name *jsx.Error
}

func (e *namedError) Error() string   { return e.err.Error() }
func (e *namedError) Unwrap() []error { return []error{e.err, e.name} }

// coded returns err as JavaScript should see it: with its code, and a message that says what failed (what: "cannot
// connect to 0.0.9.9:80", or "") and why, in one sentence. Errors that carry a name for JavaScript (a jsx.Error:
// TypeError, RangeError) keep it, and an error made by coded already passes through as it is.
func coded(what string, err error) error {
	if err == nil {
		return nil
	}
	var c *codedError
	if errors.As(err, &c) && c == err {
		return err
	}
	var jerr *jsx.Error
	if errors.As(err, &jerr) && jerr == err {
		if jerr.Code == "" && (jerr.Name == "TypeError" || jerr.Name == "RangeError") {
			jerr.Code = argCode[jerr.Name]
		}
		return err
	}
	code, name, msg := message(what, err)
	if name != "" {
		err = &namedError{err: err, name: &jsx.Error{Name: name}}
	}
	return &codedError{code: code, msg: msg, err: err}
}

// argCode is the code of a bad argument without a more specific one, as Node.js names them.
var argCode = map[string]string{"TypeError": "ERR_INVALID_ARG_TYPE", "RangeError": "ERR_INVALID_ARG_VALUE"}

// typeError and rangeError are the errors for bad arguments, thrown as JavaScript TypeError and RangeError.
func typeError(format string, args ...any) error {
	return &jsx.Error{Name: "TypeError", Message: "smoke: " + plain(fmt.Sprintf(format, args...)), Code: argCode["TypeError"]}
}

func rangeError(code, format string, args ...any) error {
	if code == "" {
		code = argCode["RangeError"]
	}
	return &jsx.Error{Name: "RangeError", Message: "smoke: " + plain(fmt.Sprintf(format, args...)), Code: code}
}
