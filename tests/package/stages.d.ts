export declare const stages: { stage: string; args?: string[] }[];
