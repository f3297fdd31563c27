// Package media serves and receives live media as REST responses between nodes (SPEC.md): a server's tracks ride
// the peer connection it shares with the client, and the response names them and lasts as long as they do.
//
// Natively (pion), a Go node serves encoded media read from files — VP8, VP9 or AV1 in IVF, Opus in Ogg, VP8 or
// VP9 video with Opus audio in WebM — paced in real time ([NewTrack], [Serve], [WebM]), and receives a page's media
// response, writing it out as IVF or Ogg per track ([Receive], [Record]) or as one WebM file ([RecordWebM]). In the browser the same responses are res.mediastream() and response.mediastream() of the npm package,
// which speak the wire format in SPEC.md with the browser's own MediaStreams; this package's Go API is native only.
package media
