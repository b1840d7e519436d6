import { TrieRouter } from 'hono/router/trie-router';

interface RouteTable {
  routes: readonly { method: string; path: string }[];
}

/**
 * The methods the app answers on a path, for a 405's `Allow` header (empty: no route knows the
 * path, a 404). Read from the app's routes on first use, once every route is registered;
 * middleware (method ALL) is no route. HEAD is allowed wherever GET is, as Hono serves it.
 */
export function allowedMethods(app: RouteTable): (path: string) => string[] {
  let router: TrieRouter<string> | undefined;
  return (path) => {
    if (router === undefined) {
      router = new TrieRouter<string>();
      for (const route of app.routes) {
        if (route.method !== 'ALL') router.add('ALL', route.path, route.method);
      }
    }
    const methods = new Set(router.match('GET', path)[0].map(([method]) => method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
