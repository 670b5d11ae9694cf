// Debounced search box with request cancellation.
'use strict';

const DEFAULT_DELAY_MS = 250;

function debounce(fn, delay = DEFAULT_DELAY_MS) {
  let timer = null;
  return function debounced(...args) {
    clearTimeout(timer);
    timer = setTimeout(() => fn.apply(this, args), delay);
  };
}

class SearchBox {
  constructor(input, results, endpoint) {
    this.input = input;
    this.results = results;
    this.endpoint = endpoint;
    this.controller = null;
    this.input.addEventListener('input', debounce(() => this.search(this.input.value)));
  }

  async search(query) {
    if (this.controller) {
      this.controller.abort();
    }
    if (query.trim().length < 2) {
      this.render([]);
      return;
    }
    this.controller = new AbortController();
    const url = new URL(this.endpoint, window.location.origin);
    url.searchParams.set('q', query);
    try {
      const res = await fetch(url, { signal: this.controller.signal });
      if (!res.ok) {
        throw new Error(`search failed: ${res.status}`);
      }
      const body = await res.json();
      this.render(body.items || []);
    } catch (err) {
      if (err.name !== 'AbortError') {
        console.error(err);
        this.results.textContent = 'Search is unavailable right now.';
      }
    }
  }

  render(items) {
    this.results.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement('li');
        const a = document.createElement('a');
        a.href = item.url;
        a.textContent = item.title;
        li.append(a);
        return li;
      }),
    );
  }
}

export { debounce, SearchBox };
