export declare const stages: { name: string; stage: string; architecture: 'x86_64' | 'arm64'; args?: string[] }[];
