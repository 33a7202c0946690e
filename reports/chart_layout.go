package reports

import (
	"image/color"
	"slices"
	"strings"
	"unicode/utf8"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// This file lays out a chart's text: the title wrapped to the chart's
// width, the labels of the vertical markers in rows above the data area so
// that no two overlap, and the legend row under the plot. gonum/plot draws a
// title on one line and has no label placement, so the chart does both.

// wrapText breaks s into lines no wider than width as measured by widthOf:
// at spaces, else (a long metric key) after one of "_./-:", else anywhere.
func wrapText(s string, width vg.Length, widthOf func(string) vg.Length) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		cand := word
		if line != "" {
			cand = line + " " + word
		}
		if widthOf(cand) <= width {
			line = cand
			continue
		}
		if line != "" {
			lines = append(lines, line)
			line = ""
		}
		// The word alone may still be too wide: break it.
		for widthOf(word) > width {
			cut := breakPoint(word, width, widthOf)
			lines = append(lines, word[:cut])
			word = word[cut:]
		}
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// breakPoint is where to cut word (wider than width): after the last
// separator that fits, else after the last rune that fits (at least one).
func breakPoint(word string, width vg.Length, widthOf func(string) vg.Length) int {
	fit := 0
	for i := range word {
		if i > 0 && widthOf(word[:i]) > width {
			break
		}
		fit = i
	}
	if fit == 0 {
		_, n := utf8.DecodeRuneInString(word)
		return n
	}
	if j := strings.LastIndexAny(word[:fit], "_./-:"); j > 0 {
		return j + 1
	}
	return fit
}

// markLabel is a marker's label placed on the canvas.
type markLabel struct {
	Text string
	// Min and Max are the label's horizontal extent.
	Min, Max vg.Length
	// Row is 0 for the row nearest the data area.
	Row   int
	Color color.Color
	Bold  bool
}

// labelGap is the least horizontal space between two labels in one row.
const labelGap = 6

// assignRows gives each label the lowest row (0 first) where it overlaps
// no label already placed (labels are placed in order: earlier ones have
// priority) and returns the number of rows used.
func assignRows(labels []markLabel) int {
	var rows [][]markLabel
	for i := range labels {
		l := &labels[i]
		r := 0
		for ; r < len(rows); r++ {
			if !slices.ContainsFunc(rows[r], func(o markLabel) bool {
				return l.Min < o.Max+labelGap && o.Min < l.Max+labelGap
			}) {
				break
			}
		}
		if r == len(rows) {
			rows = append(rows, nil)
		}
		rows[r] = append(rows[r], *l)
		l.Row = r
	}
	return len(rows)
}

func labelStyle(l markLabel, h text.Handler) text.Style {
	f := font.From(sansFont, 10)
	if l.Bold {
		f = font.From(boldFont, 10)
	}
	return text.Style{Color: l.Color, Font: f, XAlign: draw.XLeft, YAlign: draw.YBottom, Handler: h}
}

// placeLabels positions the labels of marks above a data area spanning
// [xmin, xmax] whose x transform is trX: each starts just right of its
// line, or ends just left of it at the right edge, and rows are assigned.
func placeLabels(marks []vmark, trX func(float64) vg.Length, xmin, xmax vg.Length, h text.Handler) ([]markLabel, int) {
	var labels []markLabel
	for _, m := range marks {
		if m.Label == "" {
			continue
		}
		x := trX(m.X)
		if x < xmin-0.5 || x > xmax+0.5 {
			continue
		}
		l := markLabel{Text: m.Label, Color: m.Color, Bold: m.Bold}
		w := labelStyle(l, h).Width(m.Label)
		l.Min = x + vg.Points(3)
		if l.Min+w > xmax {
			l.Min = max(xmin, x-vg.Points(3)-w)
		}
		l.Max = l.Min + w
		labels = append(labels, l)
	}
	return labels, assignRows(labels)
}

// labelRowHeight is the height of one row of marker labels.
var labelRowHeight = vg.Points(13)

// Legend geometry: swatch width, gap to its label, space between entries.
var (
	legendSwatch = vg.Points(22)
	legendGap    = vg.Points(5)
	legendSep    = vg.Points(18)
)

func legendStyle(h text.Handler) text.Style {
	return text.Style{Color: color.Black, Font: font.From(sansFont, 10), XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: h}
}

// legendRows splits the legend entries into rows no wider than width.
func legendRows(entries []legendEntry, width vg.Length, h text.Handler) [][]legendEntry {
	sty := legendStyle(h)
	var rows [][]legendEntry
	var x vg.Length
	for _, e := range entries {
		w := legendSwatch + legendGap + sty.Width(e.label)
		if len(rows) == 0 || (x > 0 && x+w > width) {
			rows = append(rows, nil)
			x = 0
		}
		rows[len(rows)-1] = append(rows[len(rows)-1], e)
		x += w + legendSep
	}
	return rows
}

// legendRow draws the legend entries in one row starting at x, centred
// vertically on y.
func legendRow(c draw.Canvas, entries []legendEntry, x, y vg.Length, h text.Handler) {
	sty := legendStyle(h)
	sw := legendSwatch
	rowH := vg.Points(12)
	for _, e := range entries {
		switch {
		case e.fill != nil:
			c.SetColor(e.fill)
			c.Fill(vg.Rectangle{Min: vg.Point{X: x, Y: y - rowH*0.35}, Max: vg.Point{X: x + sw, Y: y + rowH*0.35}}.Path())
		case e.line != nil:
			c.StrokeLine2(*e.line, x, y, x+sw, y)
		case e.glyph != nil:
			c.DrawGlyph(*e.glyph, vg.Point{X: x + sw/2, Y: y})
		}
		c.FillText(sty, vg.Point{X: x + sw + legendGap, Y: y}, e.label)
		x += sw + legendGap + sty.Width(e.label) + legendSep
	}
}

type legendEntry struct {
	label string
	fill  color.Color      // a filled swatch when non-nil
	line  *draw.LineStyle  // a line swatch when non-nil
	glyph *draw.GlyphStyle // a glyph when non-nil
}

// clipMarks draws a triangle at the top (bottom) edge of the data area
// where a band is clipped above (below).
type clipMarks struct {
	bands []ClippedBand
	style draw.GlyphStyle
}

func (cm *clipMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	r := cm.style.Radius
	for _, b := range cm.bands {
		x := trX(b.X)
		if b.Above {
			c.DrawGlyph(cm.style, vg.Point{X: x, Y: c.Max.Y - r})
		}
		if b.Below {
			down := cm.style
			down.Shape = downTriangle{}
			c.DrawGlyph(down, vg.Point{X: x, Y: c.Min.Y + r})
		}
	}
}

// downTriangle is a filled triangle pointing down (draw.PyramidGlyph
// points up).
type downTriangle struct{}

func (downTriangle) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: vg.Points(0.5)})
	r := sty.Radius
	var p vg.Path
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y + r*0.6})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y + r*0.6})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Close()
	c.Fill(p)
}
