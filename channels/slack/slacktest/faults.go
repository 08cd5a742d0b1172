package slacktest

// Faults: the next calls of a method can be refused (429 or an error) or
// carried out with their answer lost. Faults set for one method queue up
// in the order they were set; each authenticated call of the method takes
// the first one left.

type faultKind int

const (
	faultNone faultKind = iota
	faultRateLimit
	faultFail
	faultLoseAnswer
)

type fault struct {
	kind       faultKind
	retryAfter int    // faultRateLimit: seconds
	code       string // faultFail: Slack's error code
}

// RateLimit makes the next count calls of method answer HTTP 429 with
// Retry-After: retryAfter (seconds) and {"ok":false,"error":"ratelimited"},
// as Slack does; nothing is carried out. slack-go surfaces this as a
// *slack.RateLimitedError. The refused calls are recorded with Status 429.
func (s *Server) RateLimit(method string, count, retryAfter int) {
	s.addFaults(method, count, fault{kind: faultRateLimit, retryAfter: retryAfter})
}

// Fail makes the next count calls of method answer
// {"ok":false,"error":errorCode} with HTTP 200; nothing is carried out.
func (s *Server) Fail(method, errorCode string, count int) {
	s.addFaults(method, count, fault{kind: faultFail, code: errorCode})
}

// LoseAnswers makes the next count calls of method take effect but answer
// HTTP 500, as when Slack did the work and the answer never arrived (a
// timeout, a proxy error). They are recorded with Status 500 and count as
// Posted.
func (s *Server) LoseAnswers(method string, count int) {
	s.addFaults(method, count, fault{kind: faultLoseAnswer})
}

func (s *Server) addFaults(method string, count int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range count {
		s.faults[method] = append(s.faults[method], f)
	}
}

// takeFaultLocked removes and returns the next fault of method (kind
// faultNone when there is none); s.mu must be held.
func (s *Server) takeFaultLocked(method string) fault {
	q := s.faults[method]
	if len(q) == 0 {
		return fault{}
	}
	s.faults[method] = q[1:]
	return q[0]
}
