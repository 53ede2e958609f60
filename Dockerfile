# The functions as a container image (README, "Large models", "Container
# image"): the same bundles as the zip, and a models folder of any size up to
# Lambda's 10 GB image limit, where a zip stops at 250 MB unzipped. Build it
# from the task root scripts/image-task-root.ts assembles on the host from
# the packaged zip (tests/package/image.test.ts runs that tree in plain Node):
#
#   npx serverless package --stage prod
#   npm run image:task-root -- .serverless/ml-inference.zip models .image/task
#   docker build --platform linux/amd64 -t ml-inference .
#
# The base image is AWS's Node.js runtime for Lambda, the one serverless.yml's
# provider.runtime (nodejs22.x) names, for the architecture the zip was
# packaged for (--platform linux/arm64 with --param="architecture=arm64").
# Pin it by digest for a reproducible build (docker buildx imagetools inspect).
FROM public.ecr.aws/lambda/nodejs:22

# handlers/, node_modules/ (onnxruntime-node, sharp, ajv) and models/ as the
# zip lays them out: the bundles find models/ beside handlers/.
COPY .image/task/ ${LAMBDA_TASK_ROOT}/

# Each function's template names its own handler (ImageConfig.Command,
# lib/http/routes.js); this is the default when run by hand.
CMD ["handlers/predict.handler"]
