package email

import (
	"net"
	"net/mail"
	"strconv"
	"strings"
	"unicode"

	"github.com/intakehq/intake/channels"
)

// Config keys of the email section, as errors name them.
const (
	imapKey = "channels.email.imap."
	smtpKey = "channels.email.smtp."
)

// Validate reports every problem with c as an errors.Join of
// *channels.ConfigError naming keys under channels.email.smtp. It is the
// one check of SMTP settings: the config loader runs it (so `intake
// check-config` reports it with lines) and NewSMTPSender runs it again.
func (c SMTPConfig) Validate() error {
	var errs channels.ConfigErrors
	checkServer(&errs, smtpKey, c.Addr, c.TLS)
	if c.Password != "" && c.Username == "" {
		errs.Addf(smtpKey+"username", "required when smtp.password is set")
	}
	if c.From == "" {
		errs.Addf(smtpKey+"from", "required: the address replies are sent from")
	} else if _, err := mail.ParseAddress(c.From); err != nil {
		errs.Addf(smtpKey+"from", "%q is not an address such as \"Help Desk <help@example.com>\"", c.From)
	}
	if strings.ContainsFunc(c.Hostname, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		errs.Addf(smtpKey+"hostname", "%q contains spaces or control characters", c.Hostname)
	}
	return errs.Err()
}

// Validate reports every problem with c as an errors.Join of
// *channels.ConfigError naming keys under channels.email.imap. It is the
// one check of IMAP settings: the config loader runs it and NewReader runs
// it again. Zero values that have defaults (TLS, Mailbox, intervals) are
// accepted.
func (c ReaderConfig) Validate() error {
	var errs channels.ConfigErrors
	checkServer(&errs, imapKey, c.Addr, c.TLS)
	if c.Username == "" {
		errs.Addf(imapKey+"username", "required")
	}
	if c.Password == "" {
		errs.Addf(imapKey+"password", "required")
	}
	mailbox := c.Mailbox
	if mailbox == "" {
		mailbox = "INBOX"
	}
	if c.Processed != "" && strings.EqualFold(c.Processed, mailbox) {
		errs.Addf(imapKey+"processed", "%q is the mailbox read; name another folder or leave it out", c.Processed)
	}
	return errs.Err()
}

// checkServer checks a server address and its TLS mode; plain text is
// allowed only towards a loopback address, where no one else can read the
// password.
func checkServer(errs *channels.ConfigErrors, p, addr string, mode TLSMode) {
	host, port, err := net.SplitHostPort(addr)
	switch n, perr := strconv.Atoi(port); {
	case addr == "":
		errs.Addf(p+"addr", "required (host:port)")
	case err != nil || host == "":
		errs.Addf(p+"addr", "%q: want host:port, e.g. mail.example.com:993", addr)
	case perr != nil || n < 1 || n > 65535:
		errs.Addf(p+"addr", "%q: port %q is not a number from 1 to 65535", addr, port)
	}
	switch mode {
	case "", TLSImplicit, TLSStartTLS:
	case TLSNone:
		if err == nil && !isLoopbackHost(host) {
			errs.Addf(p+"tls", "\"none\" would send the password in clear text; it is allowed only for a loopback addr, not %q", host)
		}
	default:
		errs.Addf(p+"tls", "%q: want one of %q, %q, %q", mode, TLSImplicit, TLSStartTLS, TLSNone)
	}
}
