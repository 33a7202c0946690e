package deps
import (
 _ "github.com/spf13/pflag"
 _ "gonum.org/v1/gonum/stat/distuv"
 _ "gonum.org/v1/plot"
 _ "github.com/parquet-go/parquet-go"
 _ "github.com/stretchr/testify/require"
 _ "go.yaml.in/yaml/v3"
 _ "github.com/schollz/progressbar/v3"
)
