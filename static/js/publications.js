/* The filterable publications page: facets, text search, sort, URL state.
   Plain JavaScript, no dependencies. Reads the paper index embedded in the page
   (#pub-index) and, for papers whose abstract is not in the page, fetches
   search.json the first time someone searches. Without JavaScript the page
   shows its static list. */
(() => {
  "use strict";

  const PAGE_SIZE = 100;

  const fold = (s) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child);
    return node;
  };
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const LINK_LABELS = { pdf: "PDF", arxiv: "arXiv", doi: "DOI", code: "Code", project: "Project", video: "Video",
    slides: "Slides", poster: "Poster", data: "Data", url: "Link" };

  function init() {
    const dataEl = document.getElementById("pub-index");
    const form = document.getElementById("filter-form");
    if (!dataEl || !form) return;
    let data;
    try {
      data = JSON.parse(dataEl.textContent);
    } catch (err) {
      document.documentElement.classList.remove("js");
      return;
    }
    const rows = data.papers;
    const n = rows.length;
    const year = new Int16Array(n);
    const cat = new Int32Array(n);
    const venue = new Int32Array(n);
    const flags = new Uint8Array(n);
    const authorsOf = new Array(n);
    const tagsOf = new Array(n);
    const years = [];
    const yearSlot = new Map();
    let at = 0;  // every paper's authors are one flat list, row after row
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      year[i] = parseInt(r[2].slice(0, 4), 10);
      authorsOf[i] = data.paper_authors.slice(at, at + data.author_counts[i]);
      at += data.author_counts[i];
      cat[i] = r[4];
      venue[i] = r[5];
      tagsOf[i] = r[6];
      flags[i] = r[7];
      if (!yearSlot.has(year[i])) { yearSlot.set(year[i], years.length); years.push(year[i]); }
    }
    const yearIx = new Int32Array(n);
    for (let i = 0; i < n; i++) yearIx[i] = yearSlot.get(year[i]);

    // Papers already in the page keep their server-rendered entry (with the abstract).
    const serverNodes = new Map();
    for (const li of document.querySelectorAll("#static-list li.paper")) serverNodes.set(li.id, li);

    const hay = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      const parts = [r[1]];
      for (const a of authorsOf[i]) parts.push(data.authors[a]);
      if (r[4] >= 0) parts.push(data.categories[r[4]][0], data.categories[r[4]][1]);
      if (r[5] >= 0) parts.push(data.venues[r[5]]);
      for (const t of r[6]) parts.push(data.tags[t]);
      const node = serverNodes.get(r[0]);
      const abstract = node && node.querySelector(".abstract .prose");
      if (abstract) parts.push(abstract.textContent);
      hay[i] = fold(parts.join(" "));
    }
    let fullText = data.complete ? "loaded" : "no";
    if (data.complete) document.documentElement.dataset.search = "full";
    function loadFullText() {
      if (fullText !== "no") return;
      fullText = "loading";
      fetch("search.json").then((r) => (r.ok ? r.json() : Promise.reject(r.status))).then((texts) => {
        if (Array.isArray(texts) && texts.length === n) for (let i = 0; i < n; i++) hay[i] = texts[i];
        fullText = "loaded";
        document.documentElement.dataset.search = "full";
        if (state.q) update(false);
      }).catch(() => { fullText = "failed"; });
    }

    const authorBySlug = new Map();
    data.author_slugs.forEach((s, i) => { if (!authorBySlug.has(s)) authorBySlug.set(s, i); });
    const catByCode = new Map(data.categories.map((c, i) => [c[0], i]));
    const venueByName = new Map(data.venues.map((v, i) => [v, i]));
    const tagByName = new Map(data.tags.map((t, i) => [t, i]));
    const members = new Set(data.members);
    let titleOrder = null;

    const state = {
      q: "", years: new Set(), from: null, to: null, cats: new Set(), authors: new Set(),
      venues: new Set(), tags: new Set(), code: false, selected: false, sort: "newest", shown: PAGE_SIZE,
    };

    // ---- URL <-> state
    function readUrl() {
      const p = new URLSearchParams(location.search);
      state.q = p.get("q") || "";
      state.years = new Set(p.getAll("year").flatMap((v) => v.split(",")).map(Number).filter((y) => yearSlot.has(y)));
      const from = parseInt(p.get("from"), 10);
      const to = parseInt(p.get("to"), 10);
      state.from = Number.isFinite(from) ? from : null;
      state.to = Number.isFinite(to) ? to : null;
      const pick = (key, map) => new Set(p.getAll(key).flatMap((v) => v.split(",")).map((v) => map.get(v)).filter((v) => v !== undefined));
      state.cats = pick("category", catByCode);
      state.authors = pick("author", authorBySlug);
      state.venues = new Set(p.getAll("venue").map((v) => venueByName.get(v)).filter((v) => v !== undefined));
      state.tags = new Set(p.getAll("tag").map((v) => tagByName.get(v)).filter((v) => v !== undefined));
      state.code = p.get("code") === "1";
      state.selected = p.get("selected") === "1";
      state.sort = ["oldest", "title"].includes(p.get("sort")) ? p.get("sort") : "newest";
      state.shown = PAGE_SIZE;
    }
    function queryString() {
      const p = new URLSearchParams();
      if (state.q.trim()) p.set("q", state.q.trim());
      for (const y of [...state.years].sort((a, b) => b - a)) p.append("year", String(y));
      if (state.from !== null) p.set("from", String(state.from));
      if (state.to !== null) p.set("to", String(state.to));
      for (const c of state.cats) p.append("category", data.categories[c][0]);
      for (const a of state.authors) p.append("author", data.author_slugs[a]);
      for (const v of state.venues) p.append("venue", data.venues[v]);
      for (const t of state.tags) p.append("tag", data.tags[t]);
      if (state.code) p.set("code", "1");
      if (state.selected) p.set("selected", "1");
      if (state.sort !== "newest") p.set("sort", state.sort);
      const s = p.toString();
      return s ? "?" + s : location.pathname;
    }
    let typingBurst = false;
    let typingTimer = 0;
    function saveUrl(typing) {
      const url = queryString();
      if (url === (location.search || location.pathname)) return;
      if (typing && typingBurst) history.replaceState(null, "", url);
      else history.pushState(null, "", url);
      typingBurst = typing;
      clearTimeout(typingTimer);
      if (typing) typingTimer = setTimeout(() => { typingBurst = false; }, 1000);
    }

    // ---- controls
    const q = document.getElementById("q");
    const sort = document.getElementById("sort");
    const status = document.getElementById("status");
    const results = document.getElementById("results");
    const staticList = document.getElementById("static-list");
    const panel = document.getElementById("facet-panel");
    const activeCount = document.getElementById("active-count");
    const yearFrom = document.getElementById("year-from");
    const yearTo = document.getElementById("year-to");

    // The options shown at first are in the HTML; others (authors picked by name) are made here.
    function option(name, value, label, extraClass) {
      const existing = form.querySelector(`input[type=checkbox][name="${name}"][value="${CSS.escape(value)}"]`);
      if (existing) {
        const lab = existing.closest("label");
        return { label: lab, input: existing, count: lab.querySelector(".n"), existing: true };
      }
      const input = el("input", { type: "checkbox", name, value });
      const count = el("span", { class: "n" });
      const lab = el("label", { class: "chip" + (extraClass ? " " + extraClass : "") }, input, el("span", { text: label }), count);
      return { label: lab, input, count };
    }
    function facet(id, name, values, valueOf) {
      const box = document.querySelector(`#${id} .options`);
      const opts = new Map();
      if (!box) return { box, opts };
      for (const v of values) {
        const o = option(name, valueOf(v), valueOf(v));
        if (o.existing) opts.set(v, o);
      }
      return { box, opts };
    }
    const yearFacet = facet("facet-year", "year", years, String);
    const catFacet = facet("facet-category", "category", data.categories.map((_, i) => i), (i) => data.categories[i][0]);
    const venueFacet = facet("facet-venue", "venue", data.venues.map((_, i) => i), (i) => data.venues[i]);
    const tagFacet = facet("facet-tag", "tag", data.tags.map((_, i) => i), (i) => data.tags[i]);
    const codeOpt = option("code", "1", "Has code");
    const selectedOpt = option("selected", "1", "Selected");

    // Authors: lab members, then the most frequent, then anyone picked through the type-ahead.
    const authorBox = document.querySelector("#facet-author .options");
    const authorOpts = new Map();
    const topAuthors = [];
    for (const input of authorBox.querySelectorAll("input[name=author]")) {
      const a = authorBySlug.get(input.value);
      if (a !== undefined) topAuthors.push(a);
    }
    function authorOption(a) {
      let o = authorOpts.get(a);
      if (!o) {
        o = option("author", data.author_slugs[a], data.authors[a], members.has(a) ? "member" : "");
        authorOpts.set(a, o);
        o.input.addEventListener("change", () => toggle(state.authors, a, o.input.checked));
      }
      return o;
    }
    function layoutAuthors() {
      const wanted = [...topAuthors];
      for (const a of state.authors) if (!wanted.includes(a)) wanted.push(a);
      const current = [...authorBox.children];
      const same = current.length === wanted.length && wanted.every((a, k) => authorOption(a).label === current[k]);
      if (!same) authorBox.replaceChildren(...wanted.map((a) => authorOption(a).label));
    }
    const authorInput = document.getElementById("author-input");
    if (authorInput) {
      const list = document.getElementById("author-list");
      let filled = false;
      authorInput.addEventListener("focus", () => {
        if (filled) return;
        filled = true;
        list.append(...data.authors.map((name) => el("option", { value: name })));
      });
      const byFolded = new Map(data.authors.map((name, i) => [fold(name), i]));
      const pickAuthor = () => {
        const a = byFolded.get(fold(authorInput.value.trim()));
        if (a === undefined) return;
        authorInput.value = "";
        toggle(state.authors, a, true);
        authorOption(a).input.focus();
      };
      authorInput.addEventListener("change", pickAuthor);
      authorInput.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); pickAuthor(); } });
    }

    function toggle(set, value, on) {
      if (on) set.add(value); else set.delete(value);
      state.shown = PAGE_SIZE;
      update(true);
    }
    for (const [y, o] of yearFacet.opts) o.input.addEventListener("change", () => toggle(state.years, y, o.input.checked));
    for (const [c, o] of catFacet.opts) o.input.addEventListener("change", () => toggle(state.cats, c, o.input.checked));
    for (const [v, o] of venueFacet.opts) o.input.addEventListener("change", () => toggle(state.venues, v, o.input.checked));
    for (const [t, o] of tagFacet.opts) o.input.addEventListener("change", () => toggle(state.tags, t, o.input.checked));
    codeOpt.input.addEventListener("change", () => { state.code = codeOpt.input.checked; state.shown = PAGE_SIZE; update(true); });
    selectedOpt.input.addEventListener("change", () => { state.selected = selectedOpt.input.checked; state.shown = PAGE_SIZE; update(true); });
    if (yearFrom) yearFrom.addEventListener("change", () => { state.from = yearFrom.value ? +yearFrom.value : null; update(true); });
    if (yearTo) yearTo.addEventListener("change", () => { state.to = yearTo.value ? +yearTo.value : null; update(true); });
    sort.addEventListener("change", () => { state.sort = sort.value; update(true); });
    q.addEventListener("input", () => { state.q = q.value; state.shown = PAGE_SIZE; loadFullText(); update(true, true); });
    q.addEventListener("focus", loadFullText);
    form.addEventListener("submit", (e) => e.preventDefault());
    document.getElementById("clear").addEventListener("click", () => {
      state.q = ""; state.years.clear(); state.from = null; state.to = null; state.cats.clear(); state.authors.clear();
      state.venues.clear(); state.tags.clear(); state.code = false; state.selected = false; state.sort = "newest";
      state.shown = PAGE_SIZE;
      update(true);
    });
    window.addEventListener("popstate", () => { readUrl(); update(false); });

    // BibTeX of the papers shown: cut the site's publications.bib down to their keys.
    const download = document.getElementById("download-bib");
    let bibEntries = null;
    download.addEventListener("click", async () => {
      try {
        if (!bibEntries) {
          const response = await fetch(download.dataset.bib);
          if (!response.ok) throw new Error(String(response.status));
          bibEntries = new Map();
          for (const chunk of (await response.text()).split(/\n(?=@)/)) {
            const m = /^@\w+\{([^,]+),/.exec(chunk.trim());
            if (m) bibEntries.set(m[1], chunk.trim() + "\n");
          }
        }
        const keys = data.keys || [];
        const text = lastMatched.map((i) => bibEntries.get(keys[i])).filter(Boolean).join("\n");
        const url = URL.createObjectURL(new Blob([text], { type: "application/x-bibtex" }));
        const a = el("a", { href: url, download: active() ? "publications-filtered.bib" : "publications.bib" });
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 1000);
      } catch (err) {
        status.textContent = "Could not download the BibTeX: " + err.message;
      }
    });

    // ---- filtering with counts: an option's count is the papers it would leave given the other facets
    const F_YEAR = 0, F_CAT = 1, F_AUTHOR = 2, F_VENUE = 3, F_TAG = 4, F_CODE = 5, F_SEL = 6;
    function compute() {
      const terms = fold(state.q).split(/\s+/).filter(Boolean);
      const yearOn = state.years.size > 0 || state.from !== null || state.to !== null;
      const c = {
        year: new Int32Array(years.length), cat: new Int32Array(data.categories.length),
        author: new Int32Array(data.authors.length), venue: new Int32Array(data.venues.length),
        tag: new Int32Array(data.tags.length), code: 0, selected: 0,
      };
      const countFacet = (f, i) => {
        switch (f) {
          case F_YEAR: c.year[yearIx[i]]++; break;
          case F_CAT: if (cat[i] >= 0) c.cat[cat[i]]++; break;
          case F_AUTHOR: for (const a of authorsOf[i]) c.author[a]++; break;
          case F_VENUE: if (venue[i] >= 0) c.venue[venue[i]]++; break;
          case F_TAG: for (const t of tagsOf[i]) c.tag[t]++; break;
          case F_CODE: if (flags[i] & 1) c.code++; break;
          case F_SEL: if (flags[i] & 2) c.selected++; break;
        }
      };
      const matched = [];
      outer: for (let i = 0; i < n; i++) {
        if (terms.length) {
          const h = hay[i];
          for (const t of terms) if (h.indexOf(t) < 0) continue outer;
        }
        let fails = 0, failed = -1;
        if (yearOn) {
          const y = year[i];
          if ((state.years.size && !state.years.has(y)) || (state.from !== null && y < state.from) || (state.to !== null && y > state.to)) { fails++; failed = F_YEAR; }
        }
        if (state.cats.size && !state.cats.has(cat[i])) { fails++; failed = F_CAT; }
        if (fails < 2 && state.authors.size && !authorsOf[i].some((a) => state.authors.has(a))) { fails++; failed = F_AUTHOR; }
        if (fails < 2 && state.venues.size && !state.venues.has(venue[i])) { fails++; failed = F_VENUE; }
        if (fails < 2 && state.tags.size && !tagsOf[i].some((t) => state.tags.has(t))) { fails++; failed = F_TAG; }
        if (state.code && !(flags[i] & 1)) { fails++; failed = F_CODE; }
        if (state.selected && !(flags[i] & 2)) { fails++; failed = F_SEL; }
        if (fails === 0) {
          matched.push(i);
          for (let f = F_YEAR; f <= F_SEL; f++) countFacet(f, i);
        } else if (fails === 1) {
          countFacet(failed, i);
        }
      }
      return { matched, c };
    }

    function showCounts(fac, counts, chosen) {
      for (const [v, o] of fac.opts) {
        const k = counts(v);
        o.count.textContent = String(k);
        o.input.checked = chosen.has(v);
        o.label.classList.toggle("empty", k === 0 && !o.input.checked);
      }
    }

    function fmtDate(iso) {
      const [y, m, d] = iso.split("-");
      return `${MONTHS[+m - 1]} ${+d}, ${y}`;
    }
    function linkHref(url) {
      return /^[a-z][a-z0-9+.-]*:|^#|^\/\//i.test(url) ? url : "../" + url.replace(/^\/+/, "");
    }
    function buildEntry(i) {
      const r = rows[i];
      const authors = el("div", { class: "authors" });
      const name = (a) => (members.has(a) ? el("span", { class: "member", text: data.authors[a] }) : data.authors[a]);
      const list = authorsOf[i];
      const head = list.length <= 6 ? list : list.slice(0, 5);
      head.forEach((a, k) => { if (k) authors.append(", "); authors.append(name(a)); });
      if (list.length > 6) {
        const more = el("details", { class: "more-authors" }, el("summary", { text: `and ${list.length - 5} more` }));
        list.slice(5).forEach((a, k) => { if (k) more.append(", "); more.append(name(a)); });
        authors.append(", ", more);
      }
      if (r[3]) authors.append(", ", el("span", { class: "et-al", text: "et al." }));
      const meta = el("p", { class: "meta" }, el("time", { datetime: r[2], text: fmtDate(r[2]) }));
      if (r[5] >= 0) meta.append(" ", el("span", { class: "venue", text: data.venues[r[5]] }));
      if (r[4] >= 0) meta.append(" ", el("abbr", { class: "badge", title: data.categories[r[4]][1], text: data.categories[r[4]][0] }));
      if (r[7] & 1) meta.append(" ", el("span", { class: "badge badge-code", text: "Code" }));
      if (r[7] & 2) meta.append(" ", el("span", { class: "badge badge-selected", text: "Selected" }));
      const li = el("li", { class: "paper", id: r[0] },
        el("h3", { class: "paper-title" }, el("a", { href: r[0] + "/", text: r[1] })), authors, meta);
      if (r[8].length) {
        const ul = el("ul", { class: "links", "aria-label": "Links" });
        for (const [kind, url] of r[8]) ul.append(el("li", null, el("a", { class: "button", href: linkHref(url), text: LINK_LABELS[kind] || kind })));
        li.append(ul);
      }
      return li;
    }
    const built = new Map();
    function entry(i) {
      const slug = rows[i][0];
      let node = built.get(slug);
      if (!node) {
        const server = serverNodes.get(slug);
        node = server ? server.cloneNode(true) : buildEntry(i);
        node.removeAttribute("id");  // the page's own list keeps the ids
        built.set(slug, node);
      }
      return node;
    }

    function sorted(matched) {
      if (state.sort === "oldest") return matched.slice().reverse();
      if (state.sort === "title") {
        if (!titleOrder) {
          const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });
          const ix = rows.map((_, i) => i).sort((a, b) => collator.compare(rows[a][1], rows[b][1]));
          titleOrder = new Int32Array(n);
          ix.forEach((i, rank) => { titleOrder[i] = rank; });
        }
        return matched.slice().sort((a, b) => titleOrder[a] - titleOrder[b]);
      }
      return matched;
    }

    function renderResults(matched) {
      const list = sorted(matched);
      const limit = Math.min(list.length, state.shown);
      const frag = document.createDocumentFragment();
      if (state.sort === "title") {
        const ol = el("ol", { class: "papers" });
        for (let k = 0; k < limit; k++) ol.append(entry(list[k]));
        frag.append(ol);
      } else {
        const perYear = new Map();
        for (const i of list) perYear.set(year[i], (perYear.get(year[i]) || 0) + 1);
        let current = null, ol = null;
        for (let k = 0; k < limit; k++) {
          const i = list[k];
          if (year[i] !== current) {
            current = year[i];
            const id = "y" + current;
            frag.append(el("h2", { id, class: "year-heading" }, String(current) + " ",
              el("span", { class: "count", text: String(perYear.get(current)) })));
            ol = el("ol", { class: "papers", "aria-labelledby": id });
            frag.append(ol);
          }
          ol.append(entry(i));
        }
      }
      if (list.length > limit) {
        const more = el("button", { type: "button", class: "button show-more",
          text: `Show ${Math.min(PAGE_SIZE, list.length - limit)} more (${list.length - limit} not shown)` });
        more.addEventListener("click", () => {
          state.shown += PAGE_SIZE;
          renderResults(matched);
          const next = results.querySelectorAll("li.paper")[limit];
          if (next) next.querySelector("a").focus();
        });
        frag.append(more);
      }
      if (!list.length) {
        const clear = el("button", { type: "button", class: "button", text: "Clear all filters" });
        clear.addEventListener("click", () => document.getElementById("clear").click());
        frag.append(el("p", { class: "no-results" }, "No papers match these filters. ", clear));
      }
      results.replaceChildren(frag);
    }

    function active() {
      return Boolean(state.q.trim() || state.years.size || state.from !== null || state.to !== null || state.cats.size
        || state.authors.size || state.venues.size || state.tags.size || state.code || state.selected);
    }

    let lastStatus = "";
    let lastMatched = [];
    function update(save, typing) {
      const { matched, c } = compute();
      lastMatched = sorted(matched);
      download.textContent = `Download BibTeX (${matched.length})`;
      showCounts(yearFacet, (y) => c.year[yearSlot.get(y)], state.years);
      showCounts(catFacet, (i) => c.cat[i], state.cats);
      showCounts(venueFacet, (i) => c.venue[i], state.venues);
      showCounts(tagFacet, (i) => c.tag[i], state.tags);
      layoutAuthors();
      for (const [a, o] of authorOpts) {
        o.count.textContent = String(c.author[a]);
        o.input.checked = state.authors.has(a);
        o.label.classList.toggle("empty", c.author[a] === 0 && !o.input.checked);
      }
      codeOpt.count.textContent = String(c.code);
      codeOpt.input.checked = state.code;
      codeOpt.label.classList.toggle("empty", c.code === 0 && !state.code);
      selectedOpt.count.textContent = String(c.selected);
      selectedOpt.input.checked = state.selected;
      selectedOpt.label.classList.toggle("empty", c.selected === 0 && !state.selected);
      if (q.value !== state.q) q.value = state.q;
      sort.value = state.sort;
      if (yearFrom) yearFrom.value = state.from === null ? "" : String(state.from);
      if (yearTo) yearTo.value = state.to === null ? "" : String(state.to);
      // Unfiltered, the page's own list is the view (nothing moves on load); otherwise the results.
      const useStatic = data.complete && !active() && state.sort === "newest";
      staticList.hidden = useStatic ? false : true;
      results.hidden = useStatic;
      if (!useStatic) renderResults(matched);
      const noun = (k) => (k === 1 ? "paper" : "papers");
      const text = active() ? `Showing ${matched.length} of ${n} ${noun(n)}` : `Showing all ${n} ${noun(n)}`;
      if (text !== lastStatus) { status.textContent = text; lastStatus = text; }
      document.getElementById("clear").disabled = !active() && state.sort === "newest";
      const facetCount = state.years.size + (state.from !== null) + (state.to !== null) + state.cats.size
        + state.authors.size + state.venues.size + state.tags.size + state.code + state.selected;
      activeCount.textContent = facetCount ? `(${facetCount} active)` : "";
      if (facetCount && !panel.open && !save) panel.open = true;
      if (save) saveUrl(Boolean(typing));
    }

    readUrl();
    update(false);
    document.documentElement.classList.remove("filtered-load");
    document.documentElement.classList.add("filters-ready");
  }

  function start() {
    try {
      init();
    } catch (err) {
      // Never leave a blank page: fall back to the static list.
      document.documentElement.classList.remove("js", "filtered-load");
      throw err;
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
