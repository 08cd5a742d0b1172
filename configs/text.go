package configs

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// maxTextErrors is how many bad bytes checkText lists before it stops.
const maxTextErrors = 5

// checkText refuses a file that is not UTF-8 text before YAML sees it:
// yaml.v3 reports a NUL or a Latin-1 byte without a line. Each bad byte is
// named by line, column and byte offset (the first few of them; a binary
// file has thousands).
func checkText(name string, data []byte) error {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return &Error{File: name, Line: 1, Err: errors.New("the file is UTF-16 text: save it as UTF-8")}
	}
	var errs []error
	line, col := 1, 1
	for off := 0; off < len(data); {
		r, size := utf8.DecodeRune(data[off:])
		var what string
		switch {
		case r == utf8.RuneError && size == 1:
			what = fmt.Sprintf("byte 0x%02X is not UTF-8 (a Latin-1 or Windows-1252 file? save it as UTF-8)", data[off])
		case r == 0:
			what = "a NUL byte: this is not a text file"
		case r < 0x20 && r != '\t' && r != '\n' && r != '\r', r == 0x7F:
			what = fmt.Sprintf("control character U+%04X: YAML allows only tab, line feed and carriage return", r)
		}
		if what != "" {
			errs = append(errs, &Error{File: name, Line: line, Err: fmt.Errorf("column %d (byte offset %d): %s", col, off, what)})
			if len(errs) == maxTextErrors {
				errs = append(errs, &Error{File: name, Line: line, Err: errors.New("further bad bytes not listed")})
				break
			}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		off += size
	}
	return errors.Join(errs...)
}
