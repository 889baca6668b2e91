// Exercise fan-out: GET /dashboard → {"widgets":[…]}, one entry per widget from the dependency
// (GET <dependencyUrl>/widget/<n>); a widget the dependency could not give is null.
// Run `lab workshop verify fan-out` to see how this route behaves when the dependency is slow.
const WIDGETS = [1, 2, 3];

export default async function dashboard(app, options) {
  app.get('/dashboard', async () => {
    const widgets = [];
    for (const n of WIDGETS) {
      const response = await fetch(`${options.dependencyUrl}/widget/${n}`);
      widgets.push(response.ok ? await response.json() : null);
    }
    return { widgets };
  });
}
