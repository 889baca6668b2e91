// CommonJS face of defineScenario for scenario files that tsx loads as CommonJS (a .ts file
// outside any "type": "module" package). defineScenario is the identity; validation happens
// at load time either way.
exports.defineScenario = (scenario: unknown) => scenario;
