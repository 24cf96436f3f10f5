from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'report.html.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_nl = resolve('nl')
    l_0_doc = resolve('doc')
    l_0_css = resolve('css')
    l_0_fmt_time = resolve('fmt_time')
    l_0_fmt_ms = resolve('fmt_ms')
    l_0_n = resolve('n')
    l_0_joined = resolve('joined')
    l_0_counts = resolve('counts')
    l_0_attention = resolve('attention')
    l_0_changes = resolve('changes')
    l_0_c = resolve('c')
    l_0_timeline = resolve('timeline')
    l_0_panels = resolve('panels')
    l_0_pill = l_0_panel_head = l_0_condition = l_0_image_card = l_0_verdict = missing
    try:
        t_1 = environment.filters['format']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'format' found.")
    try:
        t_2 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_3 = environment.filters['map']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'map' found.")
    try:
        t_4 = environment.filters['max']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'max' found.")
    try:
        t_5 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    try:
        t_6 = environment.tests['true']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No test named 'true' found.")
    pass
    def macro(l_1_status):
        t_7 = []
        if l_1_status is missing:
            l_1_status = undefined("parameter 'status' was not provided", name='status')
        pass
        t_7.extend((
            '<span class="pill s-',
            escape(environment.finalize(l_1_status)),
            '">',
            escape(environment.finalize(l_1_status)),
            '</span>',
        ))
        return concat(t_7)
    context.exported_vars.add('pill')
    context.vars['pill'] = l_0_pill = Macro(environment, macro, 'pill', ('status',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_check, l_1_what):
        t_8 = []
        if l_1_check is missing:
            l_1_check = undefined("parameter 'check' was not provided", name='check')
        if l_1_what is missing:
            l_1_what = undefined("parameter 'what' was not provided", name='what')
        pass
        t_8.extend((
            '<h3>',
            escape(environment.finalize(l_1_what)),
            ': <code>',
            escape(environment.finalize(environment.getattr(l_1_check, 'id'))),
            '</code> ',
            escape(environment.finalize(context.call((undefined(name='pill') if l_0_pill is missing else l_0_pill), environment.getattr(l_1_check, 'status')))),
            '</h3>',
        ))
        return concat(t_8)
    context.exported_vars.add('panel_head')
    context.vars['panel_head'] = l_0_panel_head = Macro(environment, macro, 'panel_head', ('check', 'what'), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_value):
        t_9 = []
        if l_1_value is missing:
            l_1_value = undefined("parameter 'value' was not provided", name='value')
        pass
        t_9.extend((
            '<span class="',
            escape(environment.finalize(('ok' if (l_1_value == 'True') else ('bad' if (l_1_value in ('False', 'missing')) else 'muted')))),
            '">',
            escape(environment.finalize(l_1_value)),
            '</span>',
        ))
        return concat(t_9)
    context.exported_vars.add('condition')
    context.vars['condition'] = l_0_condition = Macro(environment, macro, 'condition', ('value',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_title, l_1_image, l_1_extra):
        t_10 = []
        if l_1_title is missing:
            l_1_title = undefined("parameter 'title' was not provided", name='title')
        if l_1_image is missing:
            l_1_image = undefined("parameter 'image' was not provided", name='image')
        if l_1_extra is missing:
            l_1_extra = ''
        pass
        t_10.extend((
            '<div class="card"><h3>',
            escape(environment.finalize(l_1_title)),
            '</h3>',
        ))
        if l_1_image:
            pass
            t_10.extend((
                '<div class="mono wrap">',
                escape(environment.finalize(l_1_image)),
                '</div>',
            ))
        else:
            pass
            t_10.append(
                '<div class="muted">none</div>',
            )
        t_10.extend((
            escape(environment.finalize(l_1_extra)),
            '</div>',
        ))
        return concat(t_10)
    context.exported_vars.add('image_card')
    context.vars['image_card'] = l_0_image_card = Macro(environment, macro, 'image_card', ('title', 'image', 'extra'), False, False, False, context.eval_ctx.autoescape)
    yield '<!doctype html>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="color-scheme" content="light dark"><title>'
    yield escape(environment.finalize(environment.getattr(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'verdict'), 'label')))
    yield ' · '
    yield escape(environment.finalize(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'title')))
    yield '</title><style>'
    yield escape(environment.finalize((undefined(name='css') if l_0_css is missing else l_0_css)))
    yield '</style></head>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '<body><main>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    l_0_verdict = environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'verdict')
    context.vars['verdict'] = l_0_verdict
    context.exported_vars.add('verdict')
    yield '<section id="verdict" class="v-'
    yield escape(environment.finalize(environment.getattr((undefined(name='verdict') if l_0_verdict is missing else l_0_verdict), 'label')))
    yield '" data-verdict="'
    yield escape(environment.finalize(environment.getattr((undefined(name='verdict') if l_0_verdict is missing else l_0_verdict), 'label')))
    yield '"><div class="label">'
    yield escape(environment.finalize(environment.getattr((undefined(name='verdict') if l_0_verdict is missing else l_0_verdict), 'label')))
    yield '</div><div><h1>'
    yield escape(environment.finalize(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'title')))
    yield '</h1><p class="why">'
    yield escape(environment.finalize(environment.getattr((undefined(name='verdict') if l_0_verdict is missing else l_0_verdict), 'why')))
    yield '</p><p class="meta">started '
    yield escape(environment.finalize(context.call((undefined(name='fmt_time') if l_0_fmt_time is missing else l_0_fmt_time), environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'timestamp'))))
    yield ' · wall time '
    yield escape(environment.finalize(context.call((undefined(name='fmt_ms') if l_0_fmt_ms is missing else l_0_fmt_ms), (environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'wall_ms') or 0))))
    yield ' · '
    yield escape(environment.finalize(('release gating' if environment.getattr((undefined(name='verdict') if l_0_verdict is missing else l_0_verdict), 'gating') else 'baseline capture')))
    if environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'merged_from'):
        pass
        l_0_n = t_2(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'merged_from'))
        context.vars['n'] = l_0_n
        context.exported_vars.add('n')
        yield ' · <span title="'
        yield escape(environment.finalize(context.call((undefined(name='joined') if l_0_joined is missing else l_0_joined), ', ', environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'merged_from'))))
        yield '">merged from '
        yield escape(environment.finalize((undefined(name='n') if l_0_n is missing else l_0_n)))
        yield ' shard'
        yield escape(environment.finalize(('s' if ((undefined(name='n') if l_0_n is missing else l_0_n) != 1) else '')))
        yield '</span>'
    if environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'shard'):
        pass
        yield ' · shard '
        yield escape(environment.finalize(environment.getattr(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'shard'), 'index')))
        yield ' of '
        yield escape(environment.finalize(environment.getattr(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'shard'), 'count')))
        yield " (this shard's checks only)"
    yield '</p><ul class="counts">'
    for (l_1_key, l_1_name) in (undefined(name='counts') if l_0_counts is missing else l_0_counts):
        _loop_vars = {}
        pass
        yield '<li data-count="'
        yield escape(environment.finalize(l_1_key))
        yield '"><b>'
        yield escape(environment.finalize(environment.getitem(environment.getattr((undefined(name='verdict') if l_0_verdict is missing else l_0_verdict), 'counts'), l_1_key)))
        yield '</b>'
        yield escape(environment.finalize(l_1_name))
        yield '</li>'
    l_1_key = l_1_name = missing
    yield '</ul></div></section>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '<section id="attention"><h2>Needs attention</h2>'
    t_11 = 1
    for l_1_item in (undefined(name='attention') if l_0_attention is missing else l_0_attention):
        _loop_vars = {}
        pass
        yield '<article class="attn s-'
        yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_item, 'check'), 'status')))
        yield '" data-check="'
        yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_item, 'check'), 'id')))
        yield '"><h3>'
        yield escape(environment.finalize(context.call((undefined(name='pill') if l_0_pill is missing else l_0_pill), environment.getattr(environment.getattr(l_1_item, 'check'), 'status'), _loop_vars=_loop_vars)))
        yield ' <code>'
        yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_item, 'check'), 'id')))
        yield '</code> <span class="tag">'
        yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_item, 'check'), 'required_label')))
        yield '</span> <span class="tag">'
        yield escape(environment.finalize((environment.getattr(environment.getattr(l_1_item, 'check'), 'environment') or 'global')))
        yield '</span></h3><p class="wrap">'
        yield escape(environment.finalize((environment.getattr(environment.getattr(l_1_item, 'check'), 'reason') or '(no reason recorded)')))
        yield '</p><details class="log"><summary>Log excerpt ('
        yield escape(environment.finalize(environment.getattr(l_1_item, 'what')))
        yield '; full log: '
        yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_item, 'check'), 'log_path')))
        yield ')</summary><pre>'
        yield escape(environment.finalize(environment.getattr(l_1_item, 'excerpt')))
        yield '</pre></details></article>'
        t_11 = 0
    l_1_item = missing
    if t_11:
        pass
        yield '<p class="muted">Nothing: no check failed or was cancelled, and no required check was skipped.</p>'
    yield '</section>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    if (undefined(name='changes') if l_0_changes is missing else l_0_changes):
        pass
        l_0_c = environment.getattr((undefined(name='changes') if l_0_changes is missing else l_0_changes), 'changes')
        context.vars['c'] = l_0_c
        context.exported_vars.add('c')
        yield '<section id="changes"><h2>Since the previous report</h2><p class="muted">Compared with the report of '
        yield escape(environment.finalize(environment.getattr((undefined(name='changes') if l_0_changes is missing else l_0_changes), 'timestamp')))
        if environment.getattr((undefined(name='changes') if l_0_changes is missing else l_0_changes), 'directory'):
            pass
            yield ' in <code>'
            yield escape(environment.finalize(environment.getattr((undefined(name='changes') if l_0_changes is missing else l_0_changes), 'directory')))
            yield '</code>'
        yield ' ('
        yield escape(environment.finalize(environment.getattr((undefined(name='changes') if l_0_changes is missing else l_0_changes), 'label')))
        yield '), as <code>cutover-probe diff</code> compares them.</p>'
        if environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'newly_failing'):
            pass
            yield '<h3>Newly failing</h3><ul class="changes" id="newly-failing">'
            for l_1_x in environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'newly_failing'):
                _loop_vars = {}
                pass
                yield '<li><code>'
                yield escape(environment.finalize(environment.getattr(l_1_x, 'check_id')))
                yield '</code>: '
                yield escape(environment.finalize((environment.getattr(l_1_x, 'was') or 'not in that report')))
                yield ' → '
                yield escape(environment.finalize(context.call((undefined(name='pill') if l_0_pill is missing else l_0_pill), (environment.getattr(l_1_x, 'now') or ''), _loop_vars=_loop_vars)))
                yield ' '
                yield escape(environment.finalize(environment.getattr(l_1_x, 'new_reason')))
                yield '</li>'
            l_1_x = missing
            yield '</ul>'
        if environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'newly_passing'):
            pass
            yield '<h3>Newly passing</h3><ul class="changes" id="newly-passing">'
            for l_1_x in environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'newly_passing'):
                _loop_vars = {}
                pass
                yield '<li><code>'
                yield escape(environment.finalize(environment.getattr(l_1_x, 'check_id')))
                yield '</code>: '
                yield escape(environment.finalize((environment.getattr(l_1_x, 'was') or 'not in that report')))
                yield ' → '
                yield escape(environment.finalize(context.call((undefined(name='pill') if l_0_pill is missing else l_0_pill), (environment.getattr(l_1_x, 'now') or ''), _loop_vars=_loop_vars)))
                yield '</li>'
            l_1_x = missing
            yield '</ul>'
        if environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'reason_changed'):
            pass
            yield '<h3>Reason changed</h3><ul class="changes" id="reason-changed">'
            for l_1_x in environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'reason_changed'):
                _loop_vars = {}
                pass
                yield '<li><code>'
                yield escape(environment.finalize(environment.getattr(l_1_x, 'check_id')))
                yield '</code> ('
                yield escape(environment.finalize((environment.getattr(l_1_x, 'now') or '')))
                yield '): '
                yield escape(environment.finalize(environment.getattr(l_1_x, 'old_reason')))
                yield ' → '
                yield escape(environment.finalize(environment.getattr(l_1_x, 'new_reason')))
                yield '</li>'
            l_1_x = missing
            yield '</ul>'
        if environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'other'):
            pass
            yield '<h3>Other changes</h3><ul class="changes" id="other-changes">'
            for l_1_x in environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'other'):
                _loop_vars = {}
                pass
                yield '<li><code>'
                yield escape(environment.finalize(environment.getattr(l_1_x, 'check_id')))
                yield '</code>: '
                yield escape(environment.finalize((environment.getattr(l_1_x, 'was') or 'not in that report')))
                yield ' → '
                if environment.getattr(l_1_x, 'now'):
                    pass
                    yield escape(environment.finalize(context.call((undefined(name='pill') if l_0_pill is missing else l_0_pill), environment.getattr(l_1_x, 'now'), _loop_vars=_loop_vars)))
                else:
                    pass
                    yield 'no longer in the matrix'
                yield '</li>'
            l_1_x = missing
            yield '</ul>'
        if (not environment.getattr((undefined(name='c') if l_0_c is missing else l_0_c), 'any')):
            pass
            yield '<p>No check changed status or reason.</p>'
        yield '</section>'
        yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '<section id="timeline"><h2>Timeline</h2>'
    if (undefined(name='timeline') if l_0_timeline is missing else l_0_timeline):
        pass
        yield '<svg class="timeline" viewBox="0 0 '
        yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'width')))
        yield ' '
        yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'height')))
        yield '" role="img" aria-label="timeline of the run: one bar per check">'
        for l_1_tick in environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'ticks'):
            _loop_vars = {}
            pass
            yield '<line class="grid" x1="'
            yield escape(environment.finalize(environment.getattr(l_1_tick, 'x')))
            yield '" x2="'
            yield escape(environment.finalize(environment.getattr(l_1_tick, 'x')))
            yield '" y1="'
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'top')))
            yield '" y2="'
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'bottom')))
            yield '"/><text class="axis" x="'
            yield escape(environment.finalize(environment.getattr(l_1_tick, 'x')))
            yield '" y="14" text-anchor="middle">'
            yield escape(environment.finalize(environment.getattr(l_1_tick, 'label')))
            yield '</text>'
        l_1_tick = missing
        if environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'wall_x'):
            pass
            yield '<line class="wall" x1="'
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'wall_x')))
            yield '" x2="'
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'wall_x')))
            yield '" y1="'
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'top')))
            yield '" y2="'
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'bottom')))
            yield '"><title>wall time '
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'wall_label')))
            yield '</title></line>'
        for l_1_row in environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'rows'):
            _loop_vars = {}
            pass
            yield '<text x="'
            yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'label_x')))
            yield '" y="'
            yield escape(environment.finalize(environment.getattr(l_1_row, 'text_y')))
            yield '" text-anchor="end"><title>'
            yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'check'), 'id')))
            yield '</title>'
            yield escape(environment.finalize(environment.getattr(l_1_row, 'name')))
            yield '</text>'
            if environment.getattr(l_1_row, 'bar'):
                pass
                yield '<rect class="bar s-'
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'check'), 'status')))
                yield escape(environment.finalize((' critical' if environment.getattr(environment.getattr(l_1_row, 'bar'), 'critical') else '')))
                yield '" data-check="'
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'check'), 'id')))
                yield '" data-status="'
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'check'), 'status')))
                yield '"'
                if environment.getattr(environment.getattr(l_1_row, 'bar'), 'critical'):
                    pass
                    yield ' data-critical="true"'
                yield ' x="'
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'bar'), 'x')))
                yield '" y="'
                yield escape(environment.finalize(environment.getattr(l_1_row, 'y')))
                yield '" width="'
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'bar'), 'width')))
                yield '" height="'
                yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'bar_h')))
                yield '" rx="2"><title>'
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'check'), 'id')))
                yield ': '
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'check'), 'status')))
                yield ', '
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'bar'), 'duration')))
                yield ' (from '
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'bar'), 'start')))
                yield ')</title></rect>'
                if environment.getattr(environment.getattr(l_1_row, 'bar'), 'critical'):
                    pass
                    yield '<text class="crit" x="'
                    yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'bar'), 'crit_x')))
                    yield '" y="'
                    yield escape(environment.finalize(environment.getattr(l_1_row, 'text_y')))
                    yield '">◀ critical path</text>'
            else:
                pass
                yield '<text class="skip" x="'
                yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'skip_x')))
                yield '" y="'
                yield escape(environment.finalize(environment.getattr(l_1_row, 'text_y')))
                yield '">skipped: '
                yield escape(environment.finalize(environment.getattr(environment.getattr(l_1_row, 'check'), 'reason')))
                yield '</text>'
        l_1_row = missing
        yield '</svg><p class="legend"><span class="sw s-passed"></span>passed<span class="sw s-failed"></span>failed<span class="sw s-cancelled"></span>cancelled<span class="sw critical"></span>critical path: <code>'
        yield escape(environment.finalize(environment.getattr(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'critical'), 'id')))
        yield '</code> ended last, at '
        yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'critical_end')))
        yield ' of '
        yield escape(environment.finalize(environment.getattr((undefined(name='timeline') if l_0_timeline is missing else l_0_timeline), 'wall_label')))
        yield ' wall time; dashed line: wall time.'
        if environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'merged_from'):
            pass
            yield " Merged report: each check's start is relative to its own shard's start."
        yield '</p>'
    else:
        pass
        yield '<p class="muted" id="no-bars">No check ran (every check was skipped), so there is nothing to draw.</p>'
    yield '</section>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '<section id="checks"><h2>All checks ('
    yield escape(environment.finalize(t_2(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'checks'))))
    yield ', matrix order)</h2><table><thead><tr><th>Status</th><th>Check</th><th>Gate</th><th>Environment</th><th>Duration</th><th>Reason</th></tr></thead><tbody>'
    for l_1_check in environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'checks'):
        _loop_vars = {}
        pass
        yield '<tr class="s-'
        yield escape(environment.finalize(environment.getattr(l_1_check, 'status')))
        yield '" data-check="'
        yield escape(environment.finalize(environment.getattr(l_1_check, 'id')))
        yield '" data-status="'
        yield escape(environment.finalize(environment.getattr(l_1_check, 'status')))
        yield '"><td class="status">'
        yield escape(environment.finalize(context.call((undefined(name='pill') if l_0_pill is missing else l_0_pill), environment.getattr(l_1_check, 'status'), _loop_vars=_loop_vars)))
        yield '</td><td class="id"><code>'
        yield escape(environment.finalize(environment.getattr(l_1_check, 'id')))
        yield '</code><br><span class="muted">'
        yield escape(environment.finalize(environment.getattr(l_1_check, 'description')))
        yield '</span></td><td class="req">'
        yield escape(environment.finalize(environment.getattr(l_1_check, 'required_label')))
        yield '</td><td class="env">'
        yield escape(environment.finalize((environment.getattr(l_1_check, 'environment') or '—')))
        yield '</td><td class="num dur">'
        yield escape(environment.finalize(('—' if (not environment.getattr(l_1_check, 'ran')) else context.call((undefined(name='fmt_ms') if l_0_fmt_ms is missing else l_0_fmt_ms), (environment.getattr(l_1_check, 'duration_ms') or 0), _loop_vars=_loop_vars))))
        yield '</td><td class="reason wrap">'
        yield escape(environment.finalize(environment.getattr(l_1_check, 'reason')))
        yield '</td></tr>'
    l_1_check = missing
    yield '</tbody></table></section>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    if ((undefined(name='panels') if l_0_panels is missing else l_0_panels) or environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'domain_mappings')):
        pass
        yield '<section id="panels"><h2>Evidence</h2>'
        for (l_1_check, l_1_evidence) in (undefined(name='panels') if l_0_panels is missing else l_0_panels):
            l_1_canary = resolve('canary')
            l_1_split = resolve('split')
            l_1_service = resolve('service')
            l_1_job = resolve('job')
            l_1_execution = resolve('execution')
            l_1_extra = resolve('extra')
            l_1_most = resolve('most')
            _loop_vars = {}
            pass
            if (environment.getattr(l_1_evidence, 'kind') == 'canary'):
                pass
                l_1_split = context.call((undefined(name='canary') if l_1_canary is missing else l_1_canary), l_1_evidence, _loop_vars=_loop_vars)
                _loop_vars['split'] = l_1_split
                yield '<div class="panel canary" data-check="'
                yield escape(environment.finalize(environment.getattr(l_1_check, 'id')))
                yield '">'
                yield escape(environment.finalize(context.call((undefined(name='panel_head') if l_0_panel_head is missing else l_0_panel_head), l_1_check, 'Canary traffic split', _loop_vars=_loop_vars)))
                yield '<svg class="timeline" viewBox="0 0 600 28" role="img" aria-label="traffic split">'
                for l_2_seg in (undefined(name='split') if l_1_split is missing else l_1_split):
                    _loop_vars = {}
                    pass
                    yield '<rect class="'
                    yield escape(environment.finalize(environment.getattr(l_2_seg, 'cls')))
                    yield '" x="'
                    yield escape(environment.finalize(environment.getattr(l_2_seg, 'x')))
                    yield '" y="0" width="'
                    yield escape(environment.finalize(environment.getattr(l_2_seg, 'width')))
                    yield '" height="28"><title>'
                    yield escape(environment.finalize(environment.getattr(l_2_seg, 'title')))
                    yield '</title></rect>'
                    if environment.getattr(l_2_seg, 'text_x'):
                        pass
                        yield '<text class="seg" x="'
                        yield escape(environment.finalize(environment.getattr(l_2_seg, 'text_x')))
                        yield '" y="19" text-anchor="middle">'
                        yield escape(environment.finalize(environment.getattr(l_2_seg, 'percent')))
                        yield '%</text>'
                l_2_seg = missing
                yield '</svg><ul class="changes">'
                for l_2_seg in (undefined(name='split') if l_1_split is missing else l_1_split):
                    _loop_vars = {}
                    pass
                    yield '<li><span class="sw '
                    yield escape(environment.finalize(environment.getattr(l_2_seg, 'swatch')))
                    yield '"></span><code>'
                    yield escape(environment.finalize(environment.getattr(environment.getattr(l_2_seg, 'target'), 'revision')))
                    yield '</code> '
                    yield escape(environment.finalize(environment.getattr(l_2_seg, 'percent')))
                    yield '%'
                    if environment.getattr(environment.getattr(l_2_seg, 'target'), 'tag'):
                        pass
                        yield ' tag <code>'
                        yield escape(environment.finalize(environment.getattr(environment.getattr(l_2_seg, 'target'), 'tag')))
                        yield '</code>'
                    yield ' · <span class="'
                    yield escape(environment.finalize(('ok' if t_6(environment.getattr(environment.getattr(l_2_seg, 'target'), 'ready')) else 'bad')))
                    yield '">'
                    yield escape(environment.finalize(environment.getattr(l_2_seg, 'state')))
                    yield '</span></li>'
                l_2_seg = missing
                yield '</ul></div>'
            elif (environment.getattr(l_1_evidence, 'kind') == 'drift'):
                pass
                (l_1_service, l_1_job, l_1_execution) = (environment.getattr(l_1_evidence, 'service_image'), environment.getattr(l_1_evidence, 'job_image'), environment.getattr(l_1_evidence, 'newest_execution'))
                _loop_vars.update({'execution': l_1_execution, 'job': l_1_job, 'service': l_1_service})
                yield '<div class="panel drift" data-check="'
                yield escape(environment.finalize(environment.getattr(l_1_check, 'id')))
                yield '">'
                yield escape(environment.finalize(context.call((undefined(name='panel_head') if l_0_panel_head is missing else l_0_panel_head), l_1_check, 'Migration drift', _loop_vars=_loop_vars)))
                if ((undefined(name='service') if l_1_service is missing else l_1_service) and (undefined(name='job') if l_1_job is missing else l_1_job)):
                    pass
                    if ((undefined(name='service') if l_1_service is missing else l_1_service) == (undefined(name='job') if l_1_job is missing else l_1_job)):
                        pass
                        yield '<p class="ok">service and job run the same image</p>'
                    else:
                        pass
                        yield '<p class="bad">service and job images differ</p>'
                else:
                    pass
                    yield '<p class="muted">an image is missing</p>'
                yield '<div class="cards">'
                yield escape(environment.finalize(context.call((undefined(name='image_card') if l_0_image_card is missing else l_0_image_card), 'Service image', (undefined(name='service') if l_1_service is missing else l_1_service), _loop_vars=_loop_vars)))
                yield escape(environment.finalize(context.call((undefined(name='image_card') if l_0_image_card is missing else l_0_image_card), 'Migration job image', (undefined(name='job') if l_1_job is missing else l_1_job), _loop_vars=_loop_vars)))
                if (undefined(name='execution') if l_1_execution is missing else l_1_execution):
                    pass
                    l_2_fmt_age = resolve('fmt_age')
                    t_12 = []
                    pass
                    t_12.extend((
                        '<p>',
                        escape(environment.finalize(environment.getattr((undefined(name='execution') if l_1_execution is missing else l_1_execution), 'name'))),
                        ' · state <b>',
                        escape(environment.finalize(environment.getattr((undefined(name='execution') if l_1_execution is missing else l_1_execution), 'state'))),
                        '</b>',
                    ))
                    if (not t_5(environment.getattr((undefined(name='execution') if l_1_execution is missing else l_1_execution), 'age_s'))):
                        pass
                        t_12.extend((
                            ' · <span class="age">',
                            escape(environment.finalize(context.call((undefined(name='fmt_age') if l_2_fmt_age is missing else l_2_fmt_age), environment.getattr((undefined(name='execution') if l_1_execution is missing else l_1_execution), 'age_s')))),
                            ' ago</span>',
                        ))
                    t_12.append(
                        '</p>',
                    )
                    l_1_extra = (Markup if context.eval_ctx.autoescape else identity)(concat(t_12))
                    _loop_vars['extra'] = l_1_extra
                    l_2_fmt_age = missing
                    yield escape(environment.finalize(context.call((undefined(name='image_card') if l_0_image_card is missing else l_0_image_card), 'Newest migration execution', environment.getattr((undefined(name='execution') if l_1_execution is missing else l_1_execution), 'image'), (undefined(name='extra') if l_1_extra is missing else l_1_extra), _loop_vars=_loop_vars)))
                yield '</div></div>'
            elif (environment.getattr(l_1_evidence, 'kind') == 'errors'):
                pass
                yield '<div class="panel errors" data-check="'
                yield escape(environment.finalize(environment.getattr(l_1_check, 'id')))
                yield '">'
                yield escape(environment.finalize(context.call((undefined(name='panel_head') if l_0_panel_head is missing else l_0_panel_head), l_1_check, 'Error-log groups', _loop_vars=_loop_vars)))
                if environment.getattr(l_1_evidence, 'groups'):
                    pass
                    l_1_most = (t_4(environment, t_3(context, environment.getattr(l_1_evidence, 'groups'), attribute='count')) or 1)
                    _loop_vars['most'] = l_1_most
                    yield '<table><thead><tr><th>Count</th><th>Severity</th><th>Message</th><th>Revisions</th><th>Last</th></tr></thead><tbody>'
                    for l_2_g in environment.getattr(l_1_evidence, 'groups'):
                        _loop_vars = {}
                        pass
                        yield '<tr><td class="num">'
                        yield escape(environment.finalize(environment.getattr(l_2_g, 'count')))
                        yield '<span class="cbar" style="width:'
                        yield escape(environment.finalize(t_1('%.0f', ((60 * environment.getattr(l_2_g, 'count')) / (undefined(name='most') if l_1_most is missing else l_1_most)))))
                        yield 'px"></span></td><td>'
                        yield escape(environment.finalize(context.call((undefined(name='joined') if l_0_joined is missing else l_0_joined), ', ', environment.getattr(l_2_g, 'severity'), _loop_vars=_loop_vars)))
                        yield '</td><td class="wrap mono">'
                        yield escape(environment.finalize(environment.getattr(l_2_g, 'message')))
                        yield '</td><td class="wrap">'
                        yield escape(environment.finalize(context.call((undefined(name='joined') if l_0_joined is missing else l_0_joined), ', ', environment.getattr(l_2_g, 'revisions'), _loop_vars=_loop_vars)))
                        yield '</td><td>'
                        yield escape(environment.finalize(context.call((undefined(name='fmt_time') if l_0_fmt_time is missing else l_0_fmt_time), environment.getattr(l_2_g, 'last'), _loop_vars=_loop_vars)))
                        yield '</td></tr>'
                    l_2_g = missing
                    yield '</tbody></table>'
                else:
                    pass
                    yield '<p class="muted">No error entries in the window.</p>'
                yield '</div>'
        l_1_check = l_1_evidence = l_1_canary = l_1_split = l_1_service = l_1_job = l_1_execution = l_1_extra = l_1_most = missing
        if environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'domain_mappings'):
            pass
            yield '<div class="panel" id="domains"><h3>Domain mappings (evidence, not gated)</h3><table><thead><tr><th>Environment</th><th>Domain</th><th>Ready</th><th>Certificate</th><th>Route</th></tr></thead><tbody>'
            for l_1_m in environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'domain_mappings'):
                l_1_domain_notes = resolve('domain_notes')
                l_1_notes = resolve('notes')
                _loop_vars = {}
                pass
                yield '<tr><td>'
                yield escape(environment.finalize(environment.getattr(l_1_m, 'environment')))
                yield '</td><td><code>'
                yield escape(environment.finalize(environment.getattr(l_1_m, 'domain')))
                yield '</code></td>'
                if environment.getattr(l_1_m, 'error'):
                    pass
                    yield '<td colspan="3" class="wrap err">'
                    yield escape(environment.finalize(environment.getattr(l_1_m, 'error')))
                    yield '</td>'
                else:
                    pass
                    l_1_notes = context.call((undefined(name='joined') if l_0_joined is missing else l_0_joined), '; ', context.call((undefined(name='domain_notes') if l_1_domain_notes is missing else l_1_domain_notes), l_1_m, _loop_vars=_loop_vars), _loop_vars=_loop_vars)
                    _loop_vars['notes'] = l_1_notes
                    yield '<td>'
                    yield escape(environment.finalize(context.call((undefined(name='condition') if l_0_condition is missing else l_0_condition), context.call(environment.getattr(l_1_m, 'condition'), 'Ready', _loop_vars=_loop_vars), _loop_vars=_loop_vars)))
                    yield '</td><td>'
                    yield escape(environment.finalize(context.call((undefined(name='condition') if l_0_condition is missing else l_0_condition), context.call(environment.getattr(l_1_m, 'condition'), 'CertificateProvisioned', _loop_vars=_loop_vars), _loop_vars=_loop_vars)))
                    yield '</td><td>'
                    yield escape(environment.finalize(environment.getattr(l_1_m, 'route')))
                    if (undefined(name='notes') if l_1_notes is missing else l_1_notes):
                        pass
                        yield '<br><span class="muted">'
                        yield escape(environment.finalize((undefined(name='notes') if l_1_notes is missing else l_1_notes)))
                        yield '</span>'
                    yield '</td>'
                yield '</tr>'
            l_1_m = l_1_domain_notes = l_1_notes = missing
            yield '</tbody></table></div>'
        yield '</section>'
        yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '<section id="environment"><details><summary>Environment ('
    yield escape(environment.finalize(t_2(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'environment'))))
    yield ' variables) and matrix <code>'
    yield escape(environment.finalize(environment.getattr(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'matrix'), 'source')))
    yield '</code></summary><dl class="env">'
    for (l_1_name, l_1_value) in context.call(environment.getattr(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'environment'), 'items')):
        _loop_vars = {}
        pass
        yield '<dt><code>'
        yield escape(environment.finalize(l_1_name))
        yield "</code></dt><dd class='mono wrap'>"
        yield escape(environment.finalize(l_1_value))
        yield '</dd>'
    l_1_name = l_1_value = missing
    yield '</dl></details></section>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '<footer>cutover-probe '
    yield escape(environment.finalize(environment.getattr(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'tool'), 'version')))
    yield ' · '
    yield escape(environment.finalize(environment.getattr((undefined(name='doc') if l_0_doc is missing else l_0_doc), 'schema')))
    yield ' · self-contained: no scripts, nothing fetched</footer>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))
    yield '</main></body></html>'
    yield escape(environment.finalize((undefined(name='nl') if l_0_nl is missing else l_0_nl)))

blocks = {}
debug_info = '1=61'

# Generated by `make templates` (htmlreport.write_compiled_template) from
# templates/report.html.j2: do not edit. Used only while SOURCE_KEY matches.
SOURCE_KEY = "82481ec4a1c83ec7564044cfa34ed6d29ebb4069c5827a78b5551d5325d5ca87"
