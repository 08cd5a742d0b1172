package twilio

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// rewrite points a request for one of Twilio's hosts (api.twilio.com and
// its regional and edge forms) at apiURL, keeping path and query under
// apiURL's own path. An empty apiURL leaves the request alone; any other
// host is refused so credentials never leave for it.
func rewrite(req *http.Request, apiURL string) error {
	host := req.URL.Hostname()
	if host != "twilio.com" && !strings.HasSuffix(host, ".twilio.com") {
		return fmt.Errorf("twilio: refusing request to non-Twilio host %q", host)
	}
	if apiURL == "" {
		return nil
	}
	base, err := url.Parse(apiURL)
	if err != nil {
		return fmt.Errorf("twilio: api_url: %w", err)
	}
	req.URL.Scheme = base.Scheme
	req.URL.Host = base.Host
	req.Host = base.Host
	if p := strings.TrimRight(base.Path, "/"); p != "" {
		req.URL.Path = p + req.URL.Path
		req.URL.RawPath = ""
	}
	return nil
}
