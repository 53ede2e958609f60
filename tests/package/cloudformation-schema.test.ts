import { objectProblems, resourceTypes } from '../helpers/cloudformation-schema';
import { template } from './artifacts';
import { stages } from './stages';

/**
 * Every resource of each packaged template against AWS's published
 * CloudFormation resource schemas (tests/helpers/cloudformation-schema.ts).
 */

describe.each(stages)('the packaged $name template against the CloudFormation resource schemas', ({ name }) => {
  const resources = Object.entries(template(name).Resources);

  it('knows every AWS resource type used', () => {
    const unknown = resources.filter(([, r]) => r.Type.startsWith('AWS::') && !resourceTypes.has(r.Type)).map(([, r]) => r.Type);
    expect(unknown).toEqual([]);
  });

  it('gives every resource known properties of the right types, required ones included', () => {
    const found = resources
      .filter(([, r]) => resourceTypes.has(r.Type))
      .flatMap(([id, r]) => objectProblems(r.Properties ?? {}, resourceTypes.get(r.Type)!, id));
    expect(found).toEqual([]);
  });
});
