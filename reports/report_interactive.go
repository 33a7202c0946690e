package reports

import (
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"strconv"

	"github.com/guardsim/guardsim/engine"
)

// This file holds the interactive part of report.html: a tile per metric
// (header with the current estimate, an inline SVG chart of the difference
// with its interval, footer with both arms), an SRM panel, and the data they
// are drawn from. The data is the result exactly as timeline.json encodes
// it (same MarshalJSON methods), embedded in a <script type="application/json">
// element, so the numbers on hover are those of timeline.json. The script is
// small vanilla JS written here rather than a charting library because the
// page must stay self-contained (no network) and a library would be inlined
// whole for two chart types.

type tileView struct {
	Index                                                                   int
	Key, Estimate, Interval, MeanOriginal, MeanNew, NOriginal, NNew, Status string
	Regressed                                                               bool
	// YLo and YHi are the chart's y range (metricYRange, as the PNG's),
	// exact decimal forms for the script.
	YLo, YHi string
}

type srmPanelView struct {
	ObservedNew, ExpectedNew, ObservedOriginal, ExpectedOriginal string
	// ObservedPct and ExpectedPct are the new arm's shares in percent for
	// the split bars (CSS widths).
	ObservedPct, ExpectedPct htmltemplate.CSS
	PValue, Alpha            string
	Mismatch                 bool
}

func buildTiles(v reportView, res *engine.Result) []tileView {
	tiles := make([]tileView, len(v.Metrics))
	for i, m := range v.Metrics {
		tiles[i] = tileView{Index: i, Key: m.Key, Estimate: m.Estimate, Interval: m.Interval,
			MeanOriginal: m.MeanOriginal, MeanNew: m.MeanNew, NOriginal: m.NOriginal, NNew: m.NNew,
			Status: m.Status, Regressed: m.Regressed}
		if i < len(res.Policy.Metrics) {
			lo, hi := metricYRange(res, i)
			tiles[i].YLo, tiles[i].YHi = strconv.FormatFloat(lo, 'g', -1, 64), strconv.FormatFloat(hi, 'g', -1, 64)
		}
	}
	return tiles
}

// buildSRMPanel is the observed and expected split at the last check.
func buildSRMPanel(res *engine.Result) *srmPanelView {
	n := len(res.Timeline)
	if n == 0 {
		return nil
	}
	last := res.Timeline[n-1]
	no, nn := last.Contexts[engine.Original], last.Contexts[engine.New]
	p := &srmPanelView{PValue: fmtNum(last.SRM.PValue), Alpha: fmtNum(res.Policy.SRMAlpha), Mismatch: last.SRM.Mismatch,
		ObservedNew: "—", ObservedOriginal: "—", ExpectedNew: "—", ExpectedOriginal: "—", ObservedPct: "0%", ExpectedPct: "0%"}
	if tot := no + nn; tot > 0 {
		share := float64(nn) / float64(tot)
		p.ObservedNew, p.ObservedOriginal = fmtNum(100*share)+"%", fmtNum(100*(1-share))+"%"
		p.ObservedPct = htmltemplate.CSS(fmt.Sprintf("%.2f%%", 100*share))
	}
	if s := last.Step; s >= 1 && s <= len(res.Policy.Steps) {
		share := res.Policy.Steps[s-1].ExpectedNewShare()
		p.ExpectedNew, p.ExpectedOriginal = fmtNum(100*share)+"%", fmtNum(100*(1-share))+"%"
		p.ExpectedPct = htmltemplate.CSS(fmt.Sprintf("%.2f%%", 100*share))
	}
	return p
}

// timelineData is the result as timeline.json encodes it, compact, for the
// page's data element. json.Marshal escapes <, > and &, so the text cannot
// close the script element.
func timelineData(res *engine.Result) (htmltemplate.JS, error) {
	b, err := json.Marshal(res)
	if err != nil {
		return "", fmt.Errorf("timeline data: %w", err)
	}
	return htmltemplate.JS(b), nil
}

// interactiveCSS styles the tiles, the tooltip, the SRM panel and keeps the
// tables inside the page down to narrow windows.
const interactiveCSS = `
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:1em;margin:1em 0}
.tile{border:1px solid #e3e5e8;border-radius:6px;padding:.6em .8em;background:#fff;min-width:0}
.tile.alert{border-color:#efbdbb}
.tile header{display:flex;justify-content:space-between;align-items:baseline;gap:.5em;flex-wrap:wrap}
.tile h3{margin:0;font-size:1em;overflow-wrap:anywhere}
.tile .est{font-size:1.3em;font-weight:600;font-variant-numeric:tabular-nums}
.tile .iv{color:#5b6270;font-size:.85em}
.tile footer{display:flex;justify-content:space-between;gap:.5em;flex-wrap:wrap;color:#5b6270;font-size:.85em;border-top:1px solid #eef0f2;padding-top:.3em}
.chart{position:relative}
.chart svg{width:100%;height:auto;display:block;touch-action:none}
.chart svg text{font-size:12px;fill:#5b6270}
.tip{position:absolute;top:4px;pointer-events:none;background:#1d2330;color:#fff;border-radius:4px;padding:.4em .6em;font-size:.78em;line-height:1.35;max-width:calc(100% - 8px);box-sizing:border-box;z-index:2}
.tip table{white-space:nowrap}
.tip table{margin:.2em 0;font-size:1em;border:0}
.tip th,.tip td{border:0;padding:0 .4em 0 0;background:none;color:#fff;text-align:right;font-variant-numeric:tabular-nums}
.tip th{text-align:left;font-weight:600}
.tip[hidden]{display:none}
.srm{border:1px solid #e3e5e8;border-radius:6px;padding:.6em .8em;margin:1em 0}
.srm.alert{border-color:#efbdbb;background:#fffafa}
.split{display:grid;grid-template-columns:7em 1fr;gap:.3em .6em;align-items:center;font-size:.9em;margin:.4em 0}
.bar{height:1em;background:#dfe7f5;border-radius:3px;overflow:hidden}
.bar span{display:block;height:100%;background:#c0392b}
.tablewrap{max-width:100%;overflow-x:auto}
table{max-width:100%}
td,th{overflow-wrap:anywhere}
td.num{overflow-wrap:normal;white-space:nowrap}
@media (max-width:820px){body{padding:0 .5em}table{font-size:.78em}th,td{padding:.25em .35em}}
.clipnote{color:#8f1d1a;font-size:.8em}
`

// interactiveJS draws the charts from the data element and shows the
// tooltip at the check nearest the pointer. SVG is built as markup and set
// with innerHTML on the page's own <svg> elements (the HTML parser gives
// them the SVG namespace), so the page holds no namespace URL.
const interactiveJS = `
(function(){
var el=document.getElementById('guardsim-data');if(!el)return;
var D=JSON.parse(el.textContent),T=D.timeline||[],P=D.policy||{};
var H=220,ML=58,MR=12,MT=14,MB=30;
function num(x){if(x===null||x===undefined||!isFinite(x))return '—';var s=Number(x).toPrecision(6);if(s.indexOf('e')<0&&s.indexOf('.')>=0){s=s.replace(/0+$/,'').replace(/\.$/,'');}return s;}
function sgn(x){var s=num(x);return (x>0?'+':'')+s;}
function hrs(i){return (T[i].elapsed||0)/3600;}
function ticks(lo,hi,n){var span=hi-lo;if(!(span>0))return [lo];var step=Math.pow(10,Math.floor(Math.log10(span/n)));var err=span/n/step;if(err>=7.5)step*=10;else if(err>=3.5)step*=5;else if(err>=1.5)step*=2;var out=[];for(var v=Math.ceil(lo/step)*step;v<=hi+step*1e-9;v+=step)out.push(Math.abs(v)<step*1e-9?0:v);return out;}
function tk(v){return Number(v.toPrecision(6)).toString();}
function esc(s){return String(s).replace(/[&<>"]/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
var xmax=T.length?Math.max(hrs(T.length-1),1e-9):1;
function vw(svg){return svg.viewBox.baseVal.width||400;}
function xs(W){return function(h){return ML+(W-ML-MR)*h/xmax;};}
function axes(lo,hi,Y,X,W){var s='';ticks(lo,hi,5).forEach(function(v){var y=Y(v).toFixed(1);s+='<line x1="'+ML+'" x2="'+(W-MR)+'" y1="'+y+'" y2="'+y+'" stroke="'+(v===0?'#8a909c':'#eef0f2')+'"'+(v===0?' stroke-dasharray="4 3"':'')+'/><text x="'+(ML-4)+'" y="'+y+'" dy="4" text-anchor="end">'+tk(v)+'</text>';});
ticks(0,xmax,6).forEach(function(h){var x=X(h).toFixed(1);s+='<line x1="'+x+'" x2="'+x+'" y1="'+(H-MB)+'" y2="'+(H-MB+4)+'" stroke="#8a909c"/><text x="'+x+'" y="'+(H-MB+16)+'" text-anchor="middle">'+tk(h)+'h</text>';});
return s;}
function runs(ok){var r=[],cur=null;T.forEach(function(c,i){if(ok(i)){if(!cur){cur=[];r.push(cur);}cur.push(i);}else cur=null;});return r;}
function tile(t){
var k=+t.getAttribute('data-index'),svg=t.querySelector('svg'),tip=t.querySelector('.tip'),W=vw(svg),X=xs(W);
function M(i){return T[i].metrics&&T[i].metrics[k];}
var ready=function(i){var m=M(i);return m&&m.ready;};
var rd=[];T.forEach(function(c,i){if(ready(i))rd.push(i);});
// The y range is the PNG chart's, computed in Go (yRange: the informative part of the band); the early, wide bands beyond it are clipped (and said so).
var lo=+t.getAttribute('data-ylo'),hi=+t.getAttribute('data-yhi');if(!(hi>lo)){lo=-1;hi=1;}var clipped=rd.some(function(i){return M(i).lower<lo||M(i).upper>hi;});
function Y(v){return MT+(H-MT-MB)*(hi-v)/(hi-lo);}
function Yc(v){return Y(Math.max(lo,Math.min(hi,v)));}
var s=axes(lo,hi,Y,X,W);
runs(ready).forEach(function(r){var up=r.map(function(i){return X(hrs(i)).toFixed(1)+','+Yc(M(i).upper).toFixed(1);});var dn=r.slice().reverse().map(function(i){return X(hrs(i)).toFixed(1)+','+Yc(M(i).lower).toFixed(1);});
s+='<polygon class="band" points="'+up.concat(dn).join(' ')+'" fill="#4a78c2" fill-opacity="0.18" stroke="none"/>';
s+='<polyline class="est" points="'+r.map(function(i){return X(hrs(i)).toFixed(1)+','+Y(M(i).estimate).toFixed(1);}).join(' ')+'" fill="none" stroke="#2b5aa8" stroke-width="1.6"/>';});
T.forEach(function(c,i){if(ready(i)){var m=M(i);s+='<circle class="pt" data-i="'+i+'" cx="'+X(hrs(i)).toFixed(1)+'" cy="'+Y(m.estimate).toFixed(1)+'" r="2.4" fill="'+(m.regressed?'#c0392b':'#2b5aa8')+'"/>';}});
s+='<line class="guide" x1="0" x2="0" y1="'+MT+'" y2="'+(H-MB)+'" stroke="#1d2330" stroke-width="1" visibility="hidden"/>';
var md=(P.metrics||[])[k]||{},unit=md.kind==='binary'?'proportion':(md.unit||'');if(unit)s+='<text class="unit" x="'+(ML-4)+'" y="'+(MT-1)+'" text-anchor="end">'+esc(unit)+'</text>';
if(clipped)s+='<text class="clipped" x="'+(W-MR)+'" y="'+(MT+10)+'" text-anchor="end" style="fill:#8f1d1a">early band clipped</text>';
svg.innerHTML=s;var guide=svg.querySelector('.guide');
function show(i){var c=T[i],m=M(i)||{original:{},new:{}},ct=c.contexts||[0,0];
var h='<div class="tip-h" data-i="'+i+'">'+esc(c.time)+' · +'+tk(hrs(i))+'h · step '+c.step+' ('+c.percent+'%)</div>'+
'<table><tr><th></th><th>original</th><th>new</th></tr>'+
'<tr><th>mean</th><td data-k="mean_original">'+num(m.original.mean)+'</td><td data-k="mean_new">'+num(m.new.mean)+'</td></tr>'+
'<tr><th>contexts served</th><td data-k="contexts_original">'+ct[0]+'</td><td data-k="contexts_new">'+ct[1]+'</td></tr></table>';
h+=m.ready?'<div>difference <span data-k="estimate">'+sgn(m.estimate)+'</span> [<span data-k="lower">'+num(m.lower)+'</span>, <span data-k="upper">'+num(m.upper)+'</span>], p = '+num(m.p_value)+(m.regressed?' · regressed':'')+'</div>':'<div>not enough data yet</div>';
tip.innerHTML=h;tip.hidden=false;tip.setAttribute('data-i',i);
var x=X(hrs(i));guide.setAttribute('x1',x);guide.setAttribute('x2',x);guide.setAttribute('visibility','visible');
var box=t.querySelector('.chart').getBoundingClientRect(),px=x/W*box.width,tw=tip.offsetWidth;
tip.style.left=Math.max(0,Math.min(box.width-tw,px+12>box.width-tw?px-tw-12:px+12))+'px';}
function near(e){var r=svg.getBoundingClientRect(),x=(e.clientX-r.left)/r.width*W,b=-1,bd=Infinity;for(var i=0;i<T.length;i++){var d=Math.abs(X(hrs(i))-x);if(d<bd){bd=d;b=i;}}return b;}
svg.addEventListener('mousemove',function(e){var i=near(e);if(i>=0)show(i);});
svg.addEventListener('mouseleave',function(){tip.hidden=true;guide.setAttribute('visibility','hidden');});
}
Array.prototype.forEach.call(document.querySelectorAll('.tile[data-index]'),tile);
var sv=document.querySelector('.srm svg');
if(sv&&T.length){var W=vw(sv),X=xs(W);var a=P.srm_alpha||0.001,lmin=Math.min(Math.log10(a)-1,0);T.forEach(function(c){if(c.srm&&c.srm.p_value>0)lmin=Math.min(lmin,Math.log10(c.srm.p_value));});
function Ys(p){var l=p>0?Math.log10(p):lmin;return MT+(H-MT-MB)*(0-l)/(0-lmin);}
var s='';ticks(lmin,0,5).forEach(function(v){var y=Ys(Math.pow(10,v)).toFixed(1);s+='<line x1="'+ML+'" x2="'+(W-MR)+'" y1="'+y+'" y2="'+y+'" stroke="#eef0f2"/><text x="'+(ML-4)+'" y="'+y+'" dy="4" text-anchor="end">'+tk(Math.pow(10,v))+'</text>';});
ticks(0,xmax,6).forEach(function(h){var x=X(h).toFixed(1);s+='<text x="'+x+'" y="'+(H-MB+16)+'" text-anchor="middle">'+tk(h)+'h</text>';});
var ya=Ys(a).toFixed(1);s+='<line class="alpha" x1="'+ML+'" x2="'+(W-MR)+'" y1="'+ya+'" y2="'+ya+'" stroke="#c0392b" stroke-dasharray="5 3"/><text x="'+(W-MR)+'" y="'+ya+'" dy="-4" text-anchor="end" style="fill:#c0392b">α = '+tk(a)+'</text>';
s+='<polyline class="srm-p" points="'+T.map(function(c,i){return X(hrs(i)).toFixed(1)+','+Ys(c.srm?c.srm.p_value:1).toFixed(1);}).join(' ')+'" fill="none" stroke="#2b5aa8" stroke-width="1.6"/>';
sv.innerHTML=s;}
})();
`
