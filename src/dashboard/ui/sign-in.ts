import { getJson, messageOf, storeKey, type Identity } from './api.js';
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
        // The keyed read of who the key is checks it; the API answers 401 with why it refused it.
        getJson<Identity>('/dashboard/api/me', {}, key)
          .then((identity) => {
            storeKey(key, identity);
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
