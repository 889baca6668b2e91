// Exercise json-parse: GET /products/:id → the product, or 404 {"error":"not found"}.
// Run `lab workshop verify json-parse` to see how this route behaves under load.

export default async function products(app, { fixtures }) {
  app.get('/products/:id', async (request, reply) => {
    const { products } = JSON.parse(fixtures.catalogueText());
    const product = products.find((p) => p.id === Number(request.params.id));
    if (!product) return reply.code(404).send({ error: 'not found' });
    return product;
  });
}
