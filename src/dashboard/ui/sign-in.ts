import { getJson, messageOf, storeKey } from './api.js';
import { errorBox, h, route, show } from './dom.js';

/** Asks for an API key and keeps it for this tab only once the API accepts it. */
export function renderSignIn(): HTMLElement {
  const input = h('input', {
    id: 'api-key',
    type: 'password',
    autocomplete: 'off',
    required: true,
    placeholder: 'API key',
  });
  const problem = h('div', { class: 'problem' });
  const form = h(
    'form',
    {
      class: 'card narrow',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const key = input.value.trim();
        show(problem);
        // Any keyed read checks the key; the API answers 401 with why it refused it.
        getJson('/threads/search', { method: 'POST', body: JSON.stringify({ limit: 1 }) }, key)
          .then(() => {
            storeKey(key);
            // Setting the hash it already has would not redraw the page.
            if (location.hash === route('runs'))
              window.dispatchEvent(new HashChangeEvent('hashchange'));
            else location.hash = route('runs');
          })
          .catch((error: unknown) => show(problem, errorBox('Sign-in refused:', messageOf(error))));
      },
    },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'An API key from ', h('code', {}, 'npx atolye keys create'), '.'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    problem,
  );
  return form;
}
