//go:build !js

package rtc

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pion/webrtc/v4"
)

// The signals that browser and native nodes exchange carry these types as JSON; the browser build does not link
// pion, so its JSON must be pion's byte for byte, both ways.

func TestSessionDescriptionJSONIsPions(t *testing.T) {
	for _, typ := range []webrtc.SDPType{webrtc.SDPTypeOffer, webrtc.SDPTypePranswer, webrtc.SDPTypeAnswer, webrtc.SDPTypeRollback} {
		t.Run(typ.String(), func(t *testing.T) {
			pd := webrtc.SessionDescription{Type: typ, SDP: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}
			want, err := json.Marshal(pd)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(fromPion(pd))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("marshal: got %s, pion %s", got, want)
			}
			var d SessionDescription
			if err := json.Unmarshal(want, &d); err != nil {
				t.Fatal(err)
			}
			if back := toPion(d); back.Type != pd.Type || back.SDP != pd.SDP {
				t.Fatalf("unmarshal: got %+v, want %+v", back, pd)
			}
		})
	}
}

func TestSDPTypeRejectsWhatPionRejects(t *testing.T) {
	for _, in := range []string{`{"type":"bogus","sdp":""}`, `{"type":"","sdp":""}`, `{"type":1,"sdp":""}`} {
		var pd webrtc.SessionDescription
		var d SessionDescription
		perr, err := json.Unmarshal([]byte(in), &pd), json.Unmarshal([]byte(in), &d)
		if (perr == nil) != (err == nil) {
			t.Errorf("%s: pion err %v, ours %v", in, perr, err)
		}
	}
}

func TestICECandidateInitJSONIsPions(t *testing.T) {
	mid, idx, uf := "0", uint16(0), "abcd"
	for _, tc := range []struct {
		name string
		c    webrtc.ICECandidateInit
	}{
		{"full", webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", SDPMid: &mid, SDPMLineIndex: &idx, UsernameFragment: &uf}},
		{"nulls", webrtc.ICECandidateInit{Candidate: "candidate:1 1 udp 2130706431 ::1 5000 typ host"}},
		{"end of candidates", webrtc.ICECandidateInit{SDPMid: &mid}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(ICECandidateInit(tc.c))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(want) {
				t.Fatalf("marshal: got %s, pion %s", got, want)
			}
			var c ICECandidateInit
			if err := json.Unmarshal(want, &c); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(webrtc.ICECandidateInit(c), tc.c) {
				t.Fatalf("unmarshal: got %+v, want %+v", c, tc.c)
			}
		})
	}
}

func TestStatesArePionsStrings(t *testing.T) {
	for _, s := range []webrtc.PeerConnectionState{webrtc.PeerConnectionStateNew, webrtc.PeerConnectionStateConnecting,
		webrtc.PeerConnectionStateConnected, webrtc.PeerConnectionStateDisconnected, webrtc.PeerConnectionStateFailed,
		webrtc.PeerConnectionStateClosed} {
		switch PeerConnectionState(s.String()) {
		case PeerConnectionStateNew, PeerConnectionStateConnecting, PeerConnectionStateConnected,
			PeerConnectionStateDisconnected, PeerConnectionStateFailed, PeerConnectionStateClosed:
		default:
			t.Errorf("pion state %q has no constant here", s)
		}
	}
	if got := SignalingState(webrtc.SignalingStateStable.String()); got != SignalingStateStable {
		t.Errorf("pion's stable is %q", got)
	}
}
