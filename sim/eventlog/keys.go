package eventlog

import "errors"

func (d *fileDecoder) mapKey(b []byte) (string, error) {
	if len(b) == 0 {
		return "", errors.New("empty context key")
	}
	return string(b), nil
}

// decodeKeysShared decodes plain context keys with one string allocation
// per page span; the keys of a span share its memory.
func (d *fileDecoder) decodeKeysShared(out []string) (int, error) {
	c := d.ckey
	i := 0
	for i < len(out) {
		k, err := c.span(len(out) - i)
		if err != nil {
			return i, err
		}
		if c.dict != nil || c.def != nil {
			// Dictionary pages already share one string per entry; nulls
			// take the general path.
			if j, err := decodeStrings(c, &d.keyDict, d.mapKey, "", errNull, out[i:i+k]); err != nil {
				return i + j, err
			}
			i += k
			continue
		}
		base := c.offs[c.vi]
		all := string(c.data[base:c.offs[c.vi+k]])
		dst := out[i : i+k]
		for j := range dst {
			lo, hi := c.offs[c.vi+j]-base, c.offs[c.vi+j+1]-base
			if lo == hi {
				c.vi += j
				c.row += j
				return i + j, errors.New("empty context key")
			}
			dst[j] = all[lo:hi]
		}
		c.vi += k
		c.row += k
		i += k
	}
	return i, nil
}
