// What serverless.yml sets for the functions, so tests see the same settings.
process.env.DEFAULT_MODEL ??= 'churn';
// Tests that assert on logs set their own level; the rest run quietly.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// serverless.yml gives the functions a namespace; without one Powertools
// warns on every flush ("Namespace should be defined"), burying test output.
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'ml-inference/test';
