package email

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText turns an HTML body into readable plain text: scripts, styles
// and the head are dropped, block elements become line breaks, list items
// get "- ", blockquotes are prefixed with "> " (so reply trimming sees them
// as quotes), entities are decoded and whitespace is collapsed outside
// <pre>. Link targets are appended in parentheses when they differ from the
// link text.
func HTMLToText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	z.SetMaxBuf(0)
	var (
		out      strings.Builder
		line     strings.Builder
		skip     int // inside script/style/head...
		pre      int
		quote    int
		lineQ    = -1 // quote depth the current line started at
		blank    = true
		hrefs    []string
		linkText []int
	)
	flush := func(force bool) {
		text := strings.TrimRight(line.String(), " ")
		line.Reset()
		q := lineQ
		lineQ = -1
		if text == "" {
			if force && !blank {
				out.WriteString("\n")
				blank = true
			}
			return
		}
		if q < 0 {
			q = quote
		}
		out.WriteString(strings.Repeat("> ", min(q, 20)))
		out.WriteString(text)
		out.WriteString("\n")
		blank = false
	}
	write := func(t string) {
		if t == "" {
			return
		}
		if pre > 0 {
			parts := strings.Split(t, "\n")
			for i, p := range parts {
				if i > 0 {
					flush(true)
				}
				if p != "" && lineQ < 0 {
					lineQ = quote
				}
				line.WriteString(p)
			}
			return
		}
		t = strings.Join(strings.Fields(t), " ")
		if t == "" {
			return
		}
		if lineQ < 0 {
			lineQ = quote
		}
		line.WriteString(t)
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			flush(false)
			return strings.TrimSpace(out.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			txt := string(z.Text())
			if pre == 0 {
				// Keep a separating space when the source had one.
				if strings.TrimSpace(txt) == "" {
					if line.Len() > 0 && !strings.HasSuffix(line.String(), " ") {
						line.WriteString(" ")
					}
					continue
				}
				if startsSpace(txt) && line.Len() > 0 && !strings.HasSuffix(line.String(), " ") {
					line.WriteString(" ")
				}
				write(txt)
				if endsSpace(txt) {
					line.WriteString(" ")
				}
				continue
			}
			write(txt)
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			end := tt == html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template, atom.Iframe, atom.Object, atom.Svg:
				if tt == html.SelfClosingTagToken {
					continue
				}
				if end {
					if skip > 0 {
						skip--
					}
				} else {
					skip++
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch a {
			case atom.Br:
				flush(true)
			case atom.P, atom.Div, atom.Table, atom.Tr, atom.Ul, atom.Ol, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Address, atom.Center, atom.Dl, atom.Dt, atom.Dd, atom.Form, atom.Fieldset:
				flush(a == atom.P || a == atom.Table || (a >= atom.H1 && a <= atom.H6))
			case atom.Pre:
				flush(true)
				if end {
					if pre > 0 {
						pre--
					}
				} else {
					pre++
				}
			case atom.Blockquote:
				flush(true)
				if end {
					if quote > 0 {
						quote--
					}
				} else {
					quote++
				}
			case atom.Li:
				flush(false)
				if !end {
					lineQ = quote
					line.WriteString("- ")
				}
			case atom.Hr:
				flush(false)
				lineQ = quote
				line.WriteString("---")
				flush(false)
			case atom.Td, atom.Th:
				if !end && line.Len() > 0 && !strings.HasSuffix(line.String(), " ") {
					line.WriteString(" ")
				}
			case atom.Img:
				if hasAttr {
					for {
						k, v, more := z.TagAttr()
						if string(k) == "alt" && strings.TrimSpace(string(v)) != "" {
							if line.Len() > 0 && !strings.HasSuffix(line.String(), " ") {
								line.WriteString(" ")
							}
							write("[" + string(v) + "]")
						}
						if !more {
							break
						}
					}
				}
			case atom.A:
				if end {
					if n := len(hrefs); n > 0 {
						h, start := hrefs[n-1], linkText[n-1]
						hrefs, linkText = hrefs[:n-1], linkText[:n-1]
						cur := line.String()
						text := ""
						if start <= len(cur) {
							text = strings.TrimSpace(cur[start:])
						}
						if h != "" && text != "" && text != h && strings.TrimPrefix(h, "mailto:") != text {
							line.WriteString(" ")
							write("(" + h + ")")
						}
					}
				} else if tt == html.StartTagToken {
					href := ""
					for hasAttr {
						k, v, more := z.TagAttr()
						if string(k) == "href" {
							href = strings.TrimSpace(string(v))
						}
						hasAttr = more
					}
					l := strings.ToLower(href)
					if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") && !strings.HasPrefix(l, "mailto:") {
						href = ""
					}
					hrefs = append(hrefs, href)
					linkText = append(linkText, line.Len())
				}
			}
		}
	}
}

func startsSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return s != "" && unicode.IsSpace(r)
}

func endsSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && unicode.IsSpace(r)
}
