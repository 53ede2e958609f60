import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { SFNClient } from '@aws-sdk/client-sfn';

/**
 * The clients of the AWS services the batch-job routes call besides S3
 * (lib/monitoring/store.ts has that one), each loaded on first use: Step
 * Functions (StartExecution, DescribeExecution) and API Gateway (the
 * caller's usage plan). Neither service can run on this machine, so the
 * tests hand in the SDK's real clients with a stand-in transport
 * (useClients); nothing else changes.
 */
let stepFunctionsClient: SFNClient | undefined;
let apiGatewayClient: APIGatewayClient | undefined;

export async function stepFunctions(): Promise<{ client: SFNClient; sdk: typeof import('@aws-sdk/client-sfn') }> {
  const sdk = await import('@aws-sdk/client-sfn');
  stepFunctionsClient ??= new sdk.SFNClient({});
  return { client: stepFunctionsClient, sdk };
}

export async function apiGateway(): Promise<{ client: APIGatewayClient; sdk: typeof import('@aws-sdk/client-api-gateway') }> {
  const sdk = await import('@aws-sdk/client-api-gateway');
  apiGatewayClient ??= new sdk.APIGatewayClient({});
  return { client: apiGatewayClient, sdk };
}

/** Tests: the clients to use from now on (the SDK's own, with a stand-in transport). */
export function useClients(clients: { stepFunctions?: SFNClient; apiGateway?: APIGatewayClient }): void {
  stepFunctionsClient = clients.stepFunctions ?? stepFunctionsClient;
  apiGatewayClient = clients.apiGateway ?? apiGatewayClient;
}
