package smtptest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/stretchr/testify/require"

	"github.com/intakehq/intake/channels/email/smtptest"
)

const raw = "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n"

func TestServerRecordsOverSTARTTLSWithAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithSTARTTLS(), smtptest.WithAuth("u", "p"))
	c, err := smtp.DialStartTLS(srv.Addr(), srv.TLSConfig())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Auth(sasl.NewPlainClient("", "u", "p")))
	require.NoError(t, c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(raw)))

	msgs := srv.WaitFor(t, 1, 5*time.Second)
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, "a@example.com", m.From)
	require.Equal(t, []string{"b@example.com"}, m.To)
	require.Equal(t, raw, string(m.Raw))
	require.True(t, m.TLS)
	require.Equal(t, "u", m.AuthUser)
	subject, err := m.Header.Subject()
	require.NoError(t, err)
	require.Equal(t, "hi", subject)
	require.Equal(t, 1, srv.AuthAttempts())
}

func TestServerRequiresAuth(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithAuth("u", "p"))
	c, err := smtp.Dial(srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	err = c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(raw))
	var se *smtp.SMTPError
	require.True(t, errors.As(err, &se), "SendMail without AUTH = %v, want an SMTP error", err)
	require.Empty(t, srv.Messages())
}

func TestServerFailNext(t *testing.T) {
	srv := smtptest.Start(t)
	srv.FailNext(451, "try later", 1)
	send := func() error {
		c, err := smtp.Dial(srv.Addr())
		require.NoError(t, err)
		defer c.Close()
		return c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(raw))
	}
	var se *smtp.SMTPError
	require.True(t, errors.As(send(), &se))
	require.Equal(t, 451, se.Code)
	require.Empty(t, srv.Messages())

	require.NoError(t, send())
	require.Len(t, srv.WaitFor(t, 1, 5*time.Second), 1)
}

func TestServerImplicitTLS(t *testing.T) {
	srv := smtptest.Start(t, smtptest.WithImplicitTLS())
	c, err := smtp.DialTLS(srv.Addr(), srv.TLSConfig())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SendMail("a@example.com", []string{"b@example.com"}, strings.NewReader(raw)))
	require.True(t, srv.WaitFor(t, 1, 5*time.Second)[0].TLS)
}
