//go:build !js

package ws

import (
	"context"
	"fmt"

	"github.com/coder/websocket"
)

// Natively the names are coder/websocket's own.
type (
	Conn        = websocket.Conn
	MessageType = websocket.MessageType
	StatusCode  = websocket.StatusCode
	CloseError  = websocket.CloseError
)

const (
	MessageText                   = websocket.MessageText
	MessageBinary                 = websocket.MessageBinary
	StatusNormalClosure           = websocket.StatusNormalClosure
	StatusGoingAway               = websocket.StatusGoingAway
	StatusInvalidFramePayloadData = websocket.StatusInvalidFramePayloadData
	StatusPolicyViolation         = websocket.StatusPolicyViolation
	StatusMessageTooBig           = websocket.StatusMessageTooBig
	StatusInternalError           = websocket.StatusInternalError
)

// Dial opens a WebSocket to url. When the server answered the upgrade with something else, the error says what.
func Dial(ctx context.Context, url string) (*Conn, error) {
	c, resp, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		if resp != nil && resp.StatusCode != 0 && resp.StatusCode != 101 {
			return nil, fmt.Errorf("server answered %s: %w", resp.Status, err)
		}
		return nil, err
	}
	return c, nil
}
