package engine

import "io"

var eof = io.EOF
