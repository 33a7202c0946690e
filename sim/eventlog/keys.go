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
	return c.spans(len(out), func(i, k int) (int, error) {
		dst := out[i : i+k]
		if c.dict != nil || c.def != nil {
			// Dictionary pages already share one string per entry; nulls
			// take the general path.
			return stringSpan(c, &d.keyDict, d.mapKey, "", errNull, dst)
		}
		base := c.offs[c.vi]
		all := string(c.data[base:c.offs[c.vi+k]])
		for j := range dst {
			lo, hi := c.offs[c.vi+j]-base, c.offs[c.vi+j+1]-base
			if lo == hi {
				return j, errors.New("empty context key")
			}
			dst[j] = all[lo:hi]
		}
		c.vi += k
		return 0, nil
	})
}
