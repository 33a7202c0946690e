package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/guardsim/guardsim/sim/sweep"
)

// This file holds the interactive charts of the sweep's report.html: the
// power curves (detection rate against effect, one line per policy, with
// the Wilson 95% band) and the false-positive rate against alpha (with the
// line rate = α), drawn as inline SVG from the cells embedded in the page,
// with a tooltip at the hovered effect (or alpha) giving every line's rate,
// interval, detections and median time to detection. As for the rollout
// report (report_interactive.go) the script is small vanilla JS so that the
// page stays self-contained.

// sweepSeries is one line of an interactive sweep chart: its label and the
// indexes (into the embedded cells) of its points in x order.
type sweepSeries struct {
	Label string `json:"label"`
	Cells []int  `json:"cells"`
}

// sweepPageData is what the page's data element holds: the cells exactly
// as the sweep result encodes them (the numbers of sweep.csv) and the
// series of each chart.
type sweepPageData struct {
	Cells []sweep.Cell  `json:"cells"`
	Power []sweepSeries `json:"power"`
	FPR   []sweepSeries `json:"fpr"`
}

// interactivePowerSeries groups the cells with an effect ≥ 0 by policy
// (the policies with some positive effect), in effect order.
func interactivePowerSeries(res *sweep.Result) []sweepSeries {
	var out []sweepSeries
	idx := map[string]int{}
	pos := map[string]bool{}
	for i, c := range res.Cells {
		if !(c.Effect >= 0) {
			continue
		}
		if c.Effect > 0 {
			pos[c.Policy] = true
		}
		j, ok := idx[c.Policy]
		if !ok {
			j = len(out)
			idx[c.Policy] = j
			out = append(out, sweepSeries{Label: orDash(c.Policy)})
		}
		out[j].Cells = append(out[j].Cells, i)
	}
	kept := out[:0]
	for _, s := range out {
		pol := s.Label
		if pol == "—" {
			pol = ""
		}
		if pos[pol] {
			slices.SortStableFunc(s.Cells, func(a, b int) int { return cmpFloat(res.Cells[a].Effect, res.Cells[b].Effect) })
			kept = append(kept, s)
		}
	}
	return kept
}

// interactiveFPRSeries groups the effect-0 cells with an alpha by their
// other parameters, in alpha order.
func interactiveFPRSeries(res *sweep.Result) []sweepSeries {
	var out []sweepSeries
	idx := map[string]int{}
	for i, c := range res.Cells {
		if c.Effect != 0 || !(c.Alpha > 0) {
			continue
		}
		var parts []string
		for _, p := range c.Params {
			if p.Name == "alpha" || p.Name == "effect" {
				continue
			}
			v := strconv.FormatFloat(p.Value, 'g', -1, 64)
			if p.Text != "" {
				v = p.Text
			}
			parts = append(parts, p.Name+"="+v)
		}
		label := strings.Join(parts, " ")
		if label == "" {
			label = "false-positive rate"
		}
		j, ok := idx[label]
		if !ok {
			j = len(out)
			idx[label] = j
			out = append(out, sweepSeries{Label: label})
		}
		out[j].Cells = append(out[j].Cells, i)
	}
	for _, s := range out {
		slices.SortStableFunc(s.Cells, func(a, b int) int { return cmpFloat(res.Cells[a].Alpha, res.Cells[b].Alpha) })
	}
	return out
}

// errNonFinite: JSON cannot hold NaN or infinite values.
var errNonFinite = errors.New("a cell has a non-finite value")

// sweepData is the page's data element. json.Marshal escapes <, > and &,
// so the text cannot close the script element. A cell with a NaN or
// infinite value gives errNonFinite (the page then goes without the
// interactive charts and says why).
func sweepData(res *sweep.Result) (htmltemplate.JS, error) {
	for _, c := range res.Cells {
		if !finite(c.Rate, c.RateLo, c.RateHi, c.Alpha, c.Effect, c.NewContextsMean, c.ExposureMedian, c.SRMShare, c.InsufficientShare, c.CompletedShare) {
			return "", fmt.Errorf("sweep data: cell %q effect %v: %w", c.Policy, c.Effect, errNonFinite)
		}
	}
	d := sweepPageData{Cells: res.Cells, Power: interactivePowerSeries(res), FPR: interactiveFPRSeries(res)}
	if d.Cells == nil {
		d.Cells = []sweep.Cell{}
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("sweep data: %w", err)
	}
	return htmltemplate.JS(b), nil
}

const sweepInteractiveCSS = `
.ichart{position:relative;margin:1em 0;max-width:1000px}
.ichart svg{width:100%;height:auto;display:block;touch-action:none}
.ichart svg text{font-size:12px;fill:#5b6270}
.ichart .legend{display:flex;flex-wrap:wrap;gap:.3em 1em;font-size:.85em;color:#333;margin:.3em 0}
.ichart .legend i{display:inline-block;width:1.4em;height:.25em;vertical-align:middle;margin-right:.3em}
.tip{position:absolute;top:4px;pointer-events:none;background:#1d2330;color:#fff;border-radius:4px;padding:.4em .6em;font-size:.78em;line-height:1.35;max-width:calc(100% - 8px);box-sizing:border-box;z-index:2}
.tip table{margin:.2em 0;font-size:1em;border:0;white-space:nowrap}
.tip th,.tip td{border:0;padding:0 .5em 0 0;background:none;color:#fff;text-align:right;font-variant-numeric:tabular-nums}
.tip th:first-child,.tip td:first-child{text-align:left}
.tip[hidden]{display:none}
`

// sweepInteractiveJS draws each .ichart[data-chart] (power or fpr) from the
// data element and shows the tooltip at the x nearest the pointer.
const sweepInteractiveJS = `
(function(){
var el=document.getElementById('guardsim-sweep');if(!el)return;
var D=JSON.parse(el.textContent),C=D.cells||[];
var W=800,H=300,ML=56,MR=14,MT=12,MB=40,PAL=['#2b5aa8','#c0392b','#1e7a3c','#8e44ad','#d35400','#16a085','#7f8c8d','#b7950b'];
function num(x){if(x===null||x===undefined||!isFinite(x))return '—';var s=Number(x).toPrecision(6);if(s.indexOf('e')<0&&s.indexOf('.')>=0){s=s.replace(/0+$/,'').replace(/\.$/,'');}return s;}
function tk(v){return Number(v.toPrecision(6)).toString();}
function esc(s){return String(s).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
function ticks(lo,hi,n){var span=hi-lo;if(!(span>0))return [lo];var step=Math.pow(10,Math.floor(Math.log10(span/n)));var err=span/n/step;if(err>=7.5)step*=10;else if(err>=3.5)step*=5;else if(err>=1.5)step*=2;var out=[];for(var v=Math.ceil(lo/step-1e-9)*step;v<=hi+step*1e-9;v+=step)out.push(Math.abs(v)<step*1e-9?0:v);return out;}
function chart(box){
var kind=box.getAttribute('data-chart'),S=D[kind]||[],svg=box.querySelector('svg'),tip=box.querySelector('.tip');
if(!S.length)return;
var xk=kind==='power'?'effect':'alpha',xs=[],xmin=Infinity,xmax=-Infinity,ymax=kind==='power'?1:0;
S.forEach(function(s){s.cells.forEach(function(i){var c=C[i],x=c[xk];if(xs.indexOf(x)<0)xs.push(x);xmin=Math.min(xmin,x);xmax=Math.max(xmax,x);ymax=Math.max(ymax,c.rate_hi);if(kind==='fpr')ymax=Math.max(ymax,c.alpha);});});
xs.sort(function(a,b){return a-b;});
if(kind==='fpr')xmin=Math.min(xmin,0);
if(!(xmax>xmin)){xmin-=1;xmax+=1;}
if(kind==='fpr')ymax*=1.1;if(!(ymax>0))ymax=1;
function X(x){return ML+(W-ML-MR)*(x-xmin)/(xmax-xmin);}
function Y(y){return MT+(H-MT-MB)*(1-y/ymax);}
var s='';
ticks(0,ymax,5).forEach(function(v){var y=Y(v).toFixed(1);s+='<line x1="'+ML+'" x2="'+(W-MR)+'" y1="'+y+'" y2="'+y+'" stroke="#eef0f2"/><text x="'+(ML-4)+'" y="'+y+'" dy="4" text-anchor="end">'+tk(v)+'</text>';});
ticks(xmin,xmax,6).forEach(function(v){var x=X(v).toFixed(1);s+='<line x1="'+x+'" x2="'+x+'" y1="'+(H-MB)+'" y2="'+(H-MB+4)+'" stroke="#8a909c"/><text x="'+x+'" y="'+(H-MB+16)+'" text-anchor="middle">'+tk(v)+'</text>';});
s+='<text x="'+((ML+W-MR)/2)+'" y="'+(H-4)+'" text-anchor="middle">'+(kind==='power'?'effect':'alpha')+'</text>';
s+='<text transform="translate(12,'+((MT+H-MB)/2)+') rotate(-90)" text-anchor="middle">'+(kind==='power'?'detection rate (power)':'false-positive rate')+'</text>';
if(kind==='fpr'){var a=Math.min(xmax,ymax);s+='<line class="ref" x1="'+X(0).toFixed(1)+'" y1="'+Y(0).toFixed(1)+'" x2="'+X(a).toFixed(1)+'" y2="'+Y(a).toFixed(1)+'" stroke="#8a909c" stroke-dasharray="5 3"/>';}
S.forEach(function(sr,k){var col=PAL[k%PAL.length],up=sr.cells.map(function(i){return X(C[i][xk]).toFixed(1)+','+Y(C[i].rate_hi).toFixed(1);}),dn=sr.cells.slice().reverse().map(function(i){return X(C[i][xk]).toFixed(1)+','+Y(C[i].rate_lo).toFixed(1);});
s+='<polygon class="band" points="'+up.concat(dn).join(' ')+'" fill="'+col+'" fill-opacity="0.14" stroke="none"/>';
s+='<polyline class="line" data-s="'+k+'" points="'+sr.cells.map(function(i){return X(C[i][xk]).toFixed(1)+','+Y(C[i].rate).toFixed(1);}).join(' ')+'" fill="none" stroke="'+col+'" stroke-width="1.8"/>';
sr.cells.forEach(function(i){s+='<circle class="pt" data-cell="'+i+'" data-s="'+k+'" cx="'+X(C[i][xk]).toFixed(1)+'" cy="'+Y(C[i].rate).toFixed(1)+'" r="3" fill="'+col+'"/>';});});
s+='<line class="guide" x1="0" x2="0" y1="'+MT+'" y2="'+(H-MB)+'" stroke="#1d2330" visibility="hidden"/>';
svg.innerHTML=s;var guide=svg.querySelector('.guide');
var lg=box.querySelector('.legend');if(lg)lg.innerHTML=S.map(function(sr,k){return '<span><i style="background:'+PAL[k%PAL.length]+'"></i>'+esc(sr.label)+'</span>';}).join('')+(kind==='fpr'?'<span><i style="background:#8a909c"></i>rate = α</span>':'');
function show(x){var h='<div class="tip-h" data-x="'+x+'">'+xk+' '+tk(x)+'</div><table><tr><th></th><th>rate</th><th>Wilson 95%</th><th>detections</th>'+(kind==='power'?'<th>median TTD</th>':'')+'</tr>';
S.forEach(function(sr){sr.cells.forEach(function(i){var c=C[i];if(c[xk]!==x)return;
h+='<tr data-cell="'+i+'"><td>'+esc(sr.label)+'</td><td data-k="rate">'+num(c.rate)+'</td><td>[<span data-k="rate_lo">'+num(c.rate_lo)+'</span>, <span data-k="rate_hi">'+num(c.rate_hi)+'</span>]</td><td><span data-k="detections">'+c.detections+'</span>/<span data-k="reps">'+c.reps+'</span></td>'+(kind==='power'?'<td data-k="median">'+(c.detections>0?num((c.detect_median||0)/3.6e12)+' h':'—')+'</td>':'')+'</tr>';});});
tip.innerHTML=h+'</table>';tip.hidden=false;tip.setAttribute('data-x',x);
var gx=X(x);guide.setAttribute('x1',gx);guide.setAttribute('x2',gx);guide.setAttribute('visibility','visible');
var r=box.getBoundingClientRect(),px=gx/W*r.width,tw=tip.offsetWidth;tip.style.left=Math.max(0,Math.min(r.width-tw,px+12>r.width-tw?px-tw-12:px+12))+'px';}
svg.addEventListener('mousemove',function(e){var r=svg.getBoundingClientRect(),px=(e.clientX-r.left)/r.width*W,b=xs[0],bd=Infinity;xs.forEach(function(x){var d=Math.abs(X(x)-px);if(d<bd){bd=d;b=x;}});show(b);});
svg.addEventListener('mouseleave',function(){tip.hidden=true;guide.setAttribute('visibility','hidden');});}
Array.prototype.forEach.call(document.querySelectorAll('.ichart[data-chart]'),chart);
})();
`
