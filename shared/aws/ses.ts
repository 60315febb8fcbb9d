import { SESClient } from '@aws-sdk/client-ses';
import { awsClientOptions } from './client-options';

export const ses = new SESClient(awsClientOptions);
